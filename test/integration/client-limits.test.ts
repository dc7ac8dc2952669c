/**
 * The password and token brakes count the right client, over real HTTPS on loopback: the web admin login per IPv4
 * address or IPv6 /64, progressively and never for good; the /jet failure limiter per resolved client. The gateway
 * trusts 127.0.0.1 as a proxy, so each test speaks for a client of its own through X-Forwarded-For.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataPaths } from '../../main/config/data-dir.ts';
import { MAX_AUTH_FAILURES } from '../../main/api/failure-limiter.ts';
import { setAdminPassword } from '../../main/web/admin-password.ts';
import { LOGIN_FREE_FAILURES } from '../../main/web/login-throttle.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const PASSWORD = 'correct horse battery staple';
const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keyLength: 32 } as const;

interface Reply {
  readonly status: number;
  readonly retryAfter: number;
}

describe('login and token limits per client', { timeout: 60_000 }, () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway({ webAdmin: {} });
    await setAdminPassword(dataPaths(gateway.dataDir).adminPassword, PASSWORD, TEST_SCRYPT);
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      http: { ...settings.http, trustedProxies: ['127.0.0.1'], forwardedHeader: 'x-forwarded-for' },
    }));
  });
  after(() => gateway.dispose());

  async function send(
    method: string,
    path: string,
    client: string,
    headers: Record<string, string>,
    body = '',
  ): Promise<Reply> {
    const reply = await gateway.request(method, path, {
      headers: { host: `localhost:${gateway.port}`, 'x-forwarded-for': client, ...headers },
      body,
    });
    return { status: reply.status, retryAfter: Number(reply.headers['retry-after'] ?? 0) };
  }

  const login = (client: string, password: string): Promise<Reply> =>
    send(
      'POST',
      '/admin/api/login',
      client,
      { origin: `https://localhost:${gateway.port}`, 'content-type': 'application/json' },
      JSON.stringify({ password }),
    );

  const wait = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  it('an attacker behind the owner’s NAT slows logins down, growing but bounded: after the wait the owner logs in', async () => {
    const nat = '198.51.100.20';
    for (let i = 0; i < LOGIN_FREE_FAILURES; i += 1) assert.equal((await login(nat, `guess ${i}`)).status, 401);
    const slowed = await login(nat, PASSWORD);
    assert.equal(slowed.status, 429, 'no password is checked while the address waits');
    assert.equal(slowed.retryAfter, 1);
    assert.equal((await login('198.51.100.21', PASSWORD)).status, 204, 'another address is not slowed');
    await wait(slowed.retryAfter);
    assert.equal((await login(nat, 'guess again')).status, 401);
    const longer = await login(nat, PASSWORD);
    assert.equal(longer.status, 429);
    assert.equal(longer.retryAfter, 2, 'each further failure doubles the wait');
    await wait(longer.retryAfter);
    assert.equal((await login(nat, PASSWORD)).status, 204, 'the owner’s password works once the wait is over');
    assert.equal((await login(nat, 'after a login')).status, 401, 'a login clears the count');
  });

  it('rotating IPv6 addresses inside one /64 gains nothing; the next /64 is someone else', async () => {
    for (let i = 1; i <= LOGIN_FREE_FAILURES; i += 1) {
      assert.equal((await login(`2001:db8:77:1::${i.toString(16)}`, `guess ${i}`)).status, 401);
    }
    assert.equal((await login('2001:db8:77:1:ffff:1234:abcd:9', PASSWORD)).status, 429);
    assert.equal((await login('2001:db8:77:2::1', PASSWORD)).status, 204);
  });

  it('the /jet failure limiter counts the client a trusted proxy forwarded, not the proxy', async () => {
    const guesser = '203.0.113.40';
    for (let i = 0; i < MAX_AUTH_FAILURES; i += 1) {
      assert.equal((await send('GET', '/jet/sessions', guesser, { authorization: 'Bearer bad' })).status, 401);
    }
    const limited = await send('GET', '/jet/sessions', guesser, { authorization: 'Bearer bad' });
    assert.equal(limited.status, 429);
    assert.ok(limited.retryAfter >= 1);
    const other = await send('GET', '/jet/sessions', '203.0.113.41', { authorization: 'Bearer bad' });
    assert.equal(other.status, 401, 'a client behind the same proxy is not limited for the guesser');
    for (let i = 1; i <= MAX_AUTH_FAILURES; i += 1) {
      const rotating = `2001:db8:88:1::${i.toString(16)}`;
      assert.equal((await send('GET', '/jet/sessions', rotating, { authorization: 'Bearer bad' })).status, 401);
    }
    const sameSlash64 = await send('GET', '/jet/sessions', '2001:db8:88:1::abcd', { authorization: 'Bearer bad' });
    assert.equal(sameSlash64.status, 429, 'an IPv6 /64 is one client');
  });
});
