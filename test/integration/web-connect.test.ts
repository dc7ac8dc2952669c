/**
 * `GET /connect?host=NAME`: a fresh, signed .rdp file for a browser logged in to the web admin page; a redirect to
 * the login page without a session; rate-limited per session.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createCallHandlers, dispatchCall } from '../../main/ipc/dispatch.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { setAdminPassword } from '../../main/web/admin-password.ts';
import { CONNECT_MAX_PER_WINDOW } from '../../main/web/connect-route.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { rdpLines, verifyRdpSignature } from '../helpers/rdp-signature.ts';

const PASSWORD = 'correct horse battery staple';
const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keyLength: 32 } as const;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

describe('GET /connect', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let pageDir: string;

  before(async () => {
    pageDir = await mkdtemp(join(tmpdir(), 'homegate-connect-page-'));
    await writeFile(join(pageDir, 'index.html'), '<!doctype html><title>Homegate</title>\n');
    gateway = await startTestGateway({ webAdmin: { rendererDir: pageDir } });
    await setAdminPassword(dataPaths(gateway.dataDir).adminPassword, PASSWORD, TEST_SCRYPT);
    await dispatchCall(
      createCallHandlers(gateway.service, silentLogger),
      'hosts.add',
      { name: 'desk', address: '127.0.0.1', port: 3389 },
      silentLogger,
    );
  });
  after(async () => {
    await gateway.dispose();
    await rm(pageDir, { recursive: true, force: true });
  });

  function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    return gateway.request(method, path, {
      headers: { host: `localhost:${gateway.port}`, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
  }

  async function sessionCookie(): Promise<string> {
    const reply = await send(
      'POST',
      '/admin/api/login',
      { origin: `https://localhost:${gateway.port}`, 'content-type': 'application/json' },
      JSON.stringify({ password: PASSWORD }),
    );
    assert.equal(reply.status, 204, reply.body.toString());
    return String(reply.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  }

  it('without a session: /connect → /admin/connect (same query) → 302 to the login page; no token issued', async () => {
    const first = await send('GET', '/connect?host=desk');
    assert.equal(first.status, 302);
    assert.equal(first.headers.location, '/admin/connect?host=desk');
    const second = await send('GET', '/admin/connect?host=desk');
    assert.equal(second.status, 302);
    assert.equal(second.headers.location, '/admin/');
    const stale = await send('GET', '/admin/connect?host=desk', { cookie: 'homegate_session=not-a-session' });
    assert.equal(stale.status, 302);
    assert.deepEqual(gateway.service.issuedTokens.list(), []);
  });

  it('with a session: 200, a signed .rdp download with a fresh PAA token for the host', async () => {
    const cookie = await sessionCookie();
    const reply = await send('GET', '/admin/connect?host=desk', { cookie });
    assert.equal(reply.status, 200, reply.body.toString());
    assert.equal(reply.headers['content-type'], 'application/x-rdp');
    assert.equal(reply.headers['content-disposition'], 'attachment; filename="desk.rdp"');
    assert.equal(reply.headers['cache-control'], 'no-store');
    const lines = rdpLines(reply.body);
    assert.ok(lines.includes('full address:s:desk'));
    assert.ok(lines.includes('gatewaycredentialssource:i:5'));
    const token = lines.find((line) => line.startsWith('gatewayaccesstoken:s:'))?.slice('gatewayaccesstoken:s:'.length);
    assert.deepEqual(decodeJwt(token ?? '').hosts, ['desk']);
    const verified = verifyRdpSignature(reply.body, { caFile: join(dataPaths(gateway.dataDir).tls, 'ca.pem') });
    assert.equal(verified.status, 0, verified.output);

    // Each download is a new token.
    const again = await send('GET', '/admin/connect?host=desk', { cookie });
    const token2 = rdpLines(again.body).find((line) => line.startsWith('gatewayaccesstoken:s:'));
    assert.notEqual(token2, `gatewayaccesstoken:s:${token}`);

    // Unknown or malformed host names are contract errors, not 500s.
    assert.equal((await send('GET', '/admin/connect?host=nope', { cookie })).status, 404);
    assert.equal((await send('GET', '/admin/connect?host=a%0Db', { cookie })).status, 400);
    assert.equal((await send('POST', '/admin/connect?host=desk', { cookie })).status, 405);
  });

  it('a browser, while no public name is set, is told the file works only at home, then downloads it', async () => {
    const cookie = await sessionCookie();
    const accept = 'text/html,application/xhtml+xml,*/*;q=0.8';
    const before = gateway.service.issuedTokens.list().length;
    const page = await send('GET', '/admin/connect?host=desk', { cookie, accept });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const html = page.body.toString('utf8');
    assert.match(html, /will work only inside your home network/);
    assert.equal(gateway.service.issuedTokens.list().length, before, 'the warning issues no token');
    const link = /href="(\/admin\/connect\?[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(link, '/admin/connect?host=desk&mode=gateway&home=1');
    const file = await send('GET', link, { cookie, accept });
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/x-rdp');

    const handlers = createCallHandlers(gateway.service, silentLogger);
    const settings = await handlers['settings.get'](undefined, { via: 'app' });
    await handlers['settings.update']({ ...settings, publicNames: ['localhost'] }, { via: 'app' });
    const named = await send('GET', '/admin/connect?host=desk', { cookie, accept });
    assert.equal(named.headers['content-type'], 'application/x-rdp', 'with a public name the file comes at once');
  });

  it(`answers 429 after ${CONNECT_MAX_PER_WINDOW} downloads per session within the window`, async () => {
    const cookie = await sessionCookie();
    for (let i = 0; i < CONNECT_MAX_PER_WINDOW; i += 1) {
      assert.equal((await send('GET', '/admin/connect?host=desk', { cookie })).status, 200);
    }
    const limited = await send('GET', '/admin/connect?host=desk', { cookie });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
  });
});
