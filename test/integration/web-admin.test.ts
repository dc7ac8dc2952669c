/**
 * The headless web admin page against a real gateway over HTTPS: static files and their headers, login (success,
 * failure, rate limit), the session cookie, CSRF and Origin checks, body limits, contract calls, logout, and the
 * events WebSocket.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { WEB_ADMIN_CSP } from '../../main/web/web-admin.ts';
import { setAdminPassword } from '../../main/web/admin-password.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { LOGIN_FREE_FAILURES } from '../../main/web/login-throttle.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { CSRF_HEADER, type EventMessage } from '../../shared/web/protocol.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import type { SessionHandle } from '../../main/sessions/registry.ts';
import { TargetServer } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';

const PASSWORD = 'correct horse battery staple';
/** Cheap scrypt parameters: the tests log in many times; the real default is 32 MiB per check. */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keyLength: 32 } as const;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

interface Login {
  readonly cookie: string;
  readonly csrf: string;
}

describe('web admin over HTTPS', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let pageDir: string;
  let origin: string;

  before(async () => {
    // A built page, with things around it that must never be served.
    const root = await mkdtemp(join(tmpdir(), 'homegate-page-'));
    pageDir = join(root, 'renderer');
    await mkdir(join(pageDir, 'assets'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), 'outside the page');
    await writeFile(
      join(pageDir, 'index.html'),
      '<!doctype html><html><head><meta charset="utf-8" />\n' +
        '<meta\n  http-equiv="Content-Security-Policy"\n  content="default-src \'none\'; connect-src \'none\'"\n/>\n' +
        '<title>Homegate</title></head><body><script type="module" src="./main.js"></script></body></html>\n',
    );
    await writeFile(join(pageDir, 'main.js'), 'console.log("homegate");\n');
    await writeFile(join(pageDir, 'main.js.map'), '{}');
    await writeFile(join(pageDir, 'assets', 'app.css'), 'body{}');
    await writeFile(join(pageDir, '.env'), 'SECRET=1');
    gateway = await startTestGateway({ webAdmin: { rendererDir: pageDir } });
    origin = `https://localhost:${gateway.port}`;
    await setAdminPassword(dataPaths(gateway.dataDir).adminPassword, PASSWORD, TEST_SCRYPT);
  });
  after(async () => {
    await gateway.dispose();
    await rm(join(pageDir, '..'), { recursive: true, force: true });
  });

  async function send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<Reply> {
    const reply = await gateway.request(method, path, {
      headers: { host: `localhost:${gateway.port}`, ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    return { ...reply, body: reply.body.toString('utf8') };
  }

  const json = (headers: Record<string, string> = {}): Record<string, string> => ({
    origin,
    'content-type': 'application/json',
    ...headers,
  });

  async function login(password = PASSWORD): Promise<Reply> {
    return send('POST', '/admin/api/login', { headers: json(), body: JSON.stringify({ password }) });
  }

  async function loggedIn(): Promise<Login> {
    const reply = await login();
    assert.equal(reply.status, 204, reply.body);
    const cookie = String(reply.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const session = await send('GET', '/admin/api/session', { headers: { cookie } });
    assert.equal(session.status, 200);
    return { cookie, csrf: (JSON.parse(session.body) as { csrfToken: string }).csrfToken };
  }

  async function callApi(auth: Login, name: string, input?: unknown, headers: Record<string, string> = {}) {
    const reply = await send('POST', `/admin/api/call/${name}`, {
      headers: json({ cookie: auth.cookie, [CSRF_HEADER]: auth.csrf, ...headers }),
      body: JSON.stringify(input === undefined ? {} : { input }),
    });
    return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown>, reply };
  }

  describe('the page', () => {
    it('redirects / to /admin/', async () => {
      const root = await send('GET', '/');
      assert.equal(root.status, 302);
      assert.equal(root.headers.location, '/admin/');
      const bare = await send('GET', '/admin');
      assert.equal(bare.status, 301);
      assert.equal(bare.headers.location, '/admin/');
      // The /jet API is still the jet API.
      assert.equal((await send('GET', '/jet/health')).status, 200);
    });

    it('serves the page with a strict CSP and the security headers, without its own CSP meta tag', async () => {
      const page = await send('GET', '/admin/');
      assert.equal(page.status, 200);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(page.headers['content-security-policy'], WEB_ADMIN_CSP);
      assert.match(WEB_ADMIN_CSP, /script-src 'self'(;|$)/);
      assert.doesNotMatch(WEB_ADMIN_CSP, /unsafe-inline|unsafe-eval/);
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.doesNotMatch(page.body, /Content-Security-Policy/i);
      assert.match(page.body, /<script type="module" src=".\/main.js">/);

      const script = await send('GET', '/admin/main.js');
      assert.equal(script.status, 200);
      assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(script.headers['content-security-policy'], WEB_ADMIN_CSP);
      assert.equal((await send('GET', '/admin/assets/app.css')).headers['content-type'], 'text/css; charset=utf-8');
      const again = await send('GET', '/admin/main.js', { headers: { 'if-none-match': String(script.headers.etag) } });
      assert.equal(again.status, 304);
      assert.equal((await send('POST', '/admin/main.js')).status, 405);
    });

    it('serves nothing outside the allowlist: traversal, encodings, source maps and dotfiles are 404', async () => {
      for (const path of [
        '/admin/../secret.txt',
        '/admin/%2e%2e/secret.txt',
        '/admin/..%2fsecret.txt',
        '/admin/%2E%2E%2F%2E%2E%2Fsettings.json',
        '/admin/..%5csecret.txt',
        '/admin//etc/passwd',
        '/admin/assets/../../secret.txt',
        '/admin/main.js.map',
        '/admin/.env',
        '/admin/%00main.js',
        '/admin/main.js%00',
        '/admin/settings.json',
        '/admin/%',
      ]) {
        const reply = await send('GET', path);
        assert.equal(reply.status, 404, path);
        assert.doesNotMatch(reply.body, /outside the page|SECRET|gatewayId/, path);
      }
    });
  });

  describe('login and session', () => {
    it('without a session nothing under /admin/api works but login and session (401)', async () => {
      assert.equal((await send('GET', '/admin/api/session')).status, 401);
      const call = await send('POST', '/admin/api/call/hosts.list', { headers: json(), body: '{}' });
      assert.equal(call.status, 401);
      assert.deepEqual(Object.keys(JSON.parse(call.body) as object), ['error']);
      assert.equal((await send('POST', '/admin/api/logout', { headers: json(), body: '{}' })).status, 401);
      const bogus = await send('GET', '/admin/api/session', {
        headers: { cookie: 'homegate_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      });
      assert.equal(bogus.status, 401);
    });

    it('a wrong password is 401; the right one sets a strict session cookie', async () => {
      const wrong = await login('not the password');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['set-cookie'], undefined);
      const right = await login();
      assert.equal(right.status, 204);
      const cookies = right.headers['set-cookie'] ?? [];
      assert.equal(cookies.length, 1);
      const [pair, ...attributes] = String(cookies[0]).split(/;\s*/);
      assert.match(pair ?? '', /^homegate_session=[A-Za-z0-9_-]{43}$/);
      assert.ok(attributes.includes('HttpOnly'));
      assert.ok(attributes.includes('Secure'));
      assert.ok(attributes.includes('SameSite=Strict'));
      assert.ok(attributes.includes('Path=/admin'));
      assert.ok(attributes.some((attribute) => /^Max-Age=\d+$/.test(attribute)));
      await gateway.waitForAudit((line) => line.event === 'admin.login');
      await gateway.waitForAudit((line) => line.event === 'admin.login-refused');
    });

    it('a login needs JSON from our own origin', async () => {
      const body = JSON.stringify({ password: PASSWORD });
      assert.equal(
        (await send('POST', '/admin/api/login', { headers: json({ origin: 'https://evil.example' }), body })).status,
        403,
      );
      assert.equal(
        (await send('POST', '/admin/api/login', { headers: { 'content-type': 'application/json' }, body })).status,
        403,
      );
      assert.equal(
        (await send('POST', '/admin/api/login', { headers: json({ 'content-type': 'text/plain' }), body })).status,
        415,
      );
      assert.equal((await send('GET', '/admin/api/login')).status, 405);
    });

    it('logout ends the session and clears the cookie', async () => {
      const auth = await loggedIn();
      const out = await send('POST', '/admin/api/logout', {
        headers: json({ cookie: auth.cookie, [CSRF_HEADER]: auth.csrf }),
        body: '{}',
      });
      assert.equal(out.status, 204);
      assert.match(String(out.headers['set-cookie']?.[0]), /^homegate_session=; Path=\/admin; Max-Age=0/);
      assert.equal((await send('GET', '/admin/api/session', { headers: { cookie: auth.cookie } })).status, 401);
      assert.equal((await callApi(auth, 'hosts.list')).status, 401);
    });
  });

  describe('contract calls', () => {
    let auth: Login;
    before(async () => {
      auth = await loggedIn();
    });

    it('round-trips a call: { input } in, { result } out, contract errors as HTTP statuses', async () => {
      const added = await callApi(auth, 'hosts.add', { name: 'webdesk', address: '192.0.2.7', port: 3389 });
      assert.equal(added.status, 200);
      assert.deepEqual(added.body, { result: { name: 'webdesk', address: '192.0.2.7', port: 3389 } });
      const listed = await callApi(auth, 'hosts.list');
      assert.equal(listed.status, 200);
      assert.ok((listed.body.result as { name: string }[]).some((host) => host.name === 'webdesk'));
      assert.equal(listed.reply.headers['cache-control'], 'no-store');

      const conflict = await callApi(auth, 'hosts.add', { name: 'WEBDESK', address: '192.0.2.8', port: 3389 });
      assert.equal(conflict.status, 409);
      assert.equal((conflict.body.error as { code: string }).code, 'conflict');
      const invalid = await callApi(auth, 'hosts.add', { name: 'bad name', address: '192.0.2.8', port: 3389 });
      assert.equal(invalid.status, 400);
      assert.equal((invalid.body.error as { code: string }).code, 'invalid-input');
      const unknown = await callApi(auth, 'hosts.delete', { name: 'webdesk' });
      assert.equal(unknown.status, 404);
      const record = await gateway.waitForAudit((line) => line.event === 'host.added' && line.host === 'webdesk');
      assert.equal(record.via, 'web');
      assert.equal(record.client, '127.0.0.1');
    });

    it('refuses a POST without the CSRF token, with a wrong one, or with another session’s (403)', async () => {
      const other = await loggedIn();
      for (const csrf of [undefined, 'x', 'A'.repeat(43), other.csrf]) {
        const headers = json({ cookie: auth.cookie, ...(csrf === undefined ? {} : { [CSRF_HEADER]: csrf }) });
        const reply = await send('POST', '/admin/api/call/hosts.list', { headers, body: '{}' });
        assert.equal(reply.status, 403, String(csrf));
        assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, 'csrf');
      }
    });

    it('refuses a POST from another origin, or without one (403)', async () => {
      for (const headers of [
        { origin: 'https://evil.example' },
        { origin: `https://localhost:${gateway.port + 1}` },
        { origin: `http://localhost:${gateway.port}` },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
      ] as Record<string, string>[]) {
        const reply = await callApi(auth, 'hosts.list', undefined, headers);
        assert.equal(reply.status, 403, JSON.stringify(headers));
        assert.equal((reply.body.error as { code: string }).code, 'cross-origin');
      }
      const noOrigin = await send('POST', '/admin/api/call/hosts.list', {
        headers: { 'content-type': 'application/json', cookie: auth.cookie, [CSRF_HEADER]: auth.csrf },
        body: '{}',
      });
      assert.equal(noOrigin.status, 403);
    });

    it('bounds the body (413) and requires JSON (415, 400)', async () => {
      const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
      const tooLarge = await send('POST', '/admin/api/call/hosts.list', {
        headers: json({ cookie: auth.cookie, [CSRF_HEADER]: auth.csrf }),
        body: big,
      });
      assert.equal(tooLarge.status, 413);
      const textPlain = await callApi(auth, 'hosts.list', undefined, { 'content-type': 'text/plain' });
      assert.equal(textPlain.status, 415);
      const form = await callApi(auth, 'hosts.list', undefined, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(form.status, 415);
      const garbled = await send('POST', '/admin/api/call/hosts.list', {
        headers: json({ cookie: auth.cookie, [CSRF_HEADER]: auth.csrf }),
        body: '{"input":',
      });
      assert.equal(garbled.status, 400);
    });
  });

  describe('events', () => {
    const connect = (headers: Record<string, string>): WebSocket =>
      new WebSocket(`wss://127.0.0.1:${gateway.port}/admin/api/events`, {
        ca: gateway.service.tls.caCertPem,
        headers: { host: `localhost:${gateway.port}`, ...headers },
      });

    const refusedWith = (socket: WebSocket): Promise<number> =>
      new Promise((resolve, reject) => {
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('open', () => reject(new Error('the upgrade was accepted')));
        socket.on('error', () => undefined);
      });

    it('refuses an unauthenticated or cross-origin upgrade', async () => {
      assert.equal(await refusedWith(connect({ origin })), 401);
      const auth = await loggedIn();
      assert.equal(await refusedWith(connect({ origin: 'https://evil.example', cookie: auth.cookie })), 403);
      assert.equal(await refusedWith(connect({ cookie: auth.cookie })), 403);
      assert.equal((await send('GET', '/admin/api/events', { headers: { cookie: auth.cookie } })).status, 426);
    });

    it('builds no session list while no events socket is open; a socket opened later hears every session', async () => {
      const registry = gateway.service.sessions;
      const list = registry.list.bind(registry);
      let listsBuilt = 0;
      registry.list = () => {
        listsBuilt += 1;
        return list();
      };
      const open = (clientName: string): SessionHandle =>
        registry.open({
          transport: 'websocket',
          clientAddress: '127.0.0.1',
          clientName,
          tokenId: `jti-${clientName}`,
          host: 'desktop',
          target: '192.0.2.10:3389',
          terminate: () => undefined,
        });
      const handles = Array.from({ length: 20 }, (_, index) => open(`UNWATCHED${index}`));
      let socket: WebSocket | undefined;
      try {
        for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
        handles.pop()?.end('client-closed');
        assert.equal(listsBuilt, 0, 'no list is built with no events socket open');

        const auth = await loggedIn();
        socket = connect({ origin, cookie: auth.cookie });
        const opened = socket;
        await new Promise<void>((resolve, reject) => {
          opened.once('open', () => resolve());
          opened.once('error', reject);
        });
        const seen = new Promise<SessionInfo[]>((resolve) => {
          opened.on('message', (data: Buffer) => {
            const message = JSON.parse(data.toString('utf8')) as EventMessage;
            if (message.event === 'sessions.changed') resolve(message.payload as SessionInfo[]);
          });
        });
        handles.push(open('WATCHED'));
        const sessions = await Promise.race([
          seen,
          new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no event within 5 s')), 5_000)),
        ]);
        const expected = [...Array.from({ length: 19 }, (_, index) => `UNWATCHED${index}`), 'WATCHED'];
        assert.deepEqual(sessions.map((session) => session.clientName).sort(), expected.sort());
        assert.equal(listsBuilt, 1);
      } finally {
        registry.list = list;
        socket?.terminate();
        for (const handle of handles) handle.end('client-closed');
      }
    });

    it('pushes sessions.changed when a tunnel opens', async () => {
      const auth = await loggedIn();
      const echo = await TargetServer.start({ mode: 'echo' });
      const socket = connect({ origin, cookie: auth.cookie });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        });
        const messages: EventMessage[] = [];
        const seen = new Promise<EventMessage>((resolve) => {
          socket.on('message', (data: Buffer) => {
            const message = JSON.parse(data.toString('utf8')) as EventMessage;
            messages.push(message);
            if (
              message.event === 'sessions.changed' &&
              (message.payload as SessionInfo[]).some((session) => session.clientName === 'WEBEVENTPC')
            ) {
              resolve(message);
            }
          });
        });
        await gateway.addHost({ name: 'webecho', port: echo.port });
        const { token } = await gateway.token(['webecho']);
        const client = await openTunnel(
          gateway.clientOptions(),
          token,
          { name: 'webecho', port: echo.port },
          'WEBEVENTPC',
        );
        const message = await Promise.race([
          seen,
          new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no event within 5 s')), 5_000)),
        ]);
        assert.equal(message.event, 'sessions.changed');
        client.destroy();
      } finally {
        socket.terminate();
        await echo.close();
      }
    });

    it('a new password ends every session and its event sockets', async () => {
      const auth = await loggedIn();
      const socket = connect({ origin, cookie: auth.cookie });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      await setAdminPassword(dataPaths(gateway.dataDir).adminPassword, `${PASSWORD} 2`, TEST_SCRYPT);
      assert.equal(await closed, 1008);
      assert.equal((await send('GET', '/admin/api/session', { headers: { cookie: auth.cookie } })).status, 401);
      await setAdminPassword(dataPaths(gateway.dataDir).adminPassword, PASSWORD, TEST_SCRYPT);
    });
  });

  // Last: it slows 127.0.0.1's logins down.
  describe('rate limit', () => {
    it(`answers 429 after ${LOGIN_FREE_FAILURES} failed logins from one address, even to the right password`, async () => {
      const failures: number[] = [];
      for (let attempt = 0; attempt < LOGIN_FREE_FAILURES + 5; attempt += 1) {
        const reply = await login(`wrong password ${attempt}`);
        failures.push(reply.status);
        if (reply.status === 429) {
          assert.match(String(reply.headers['retry-after']), /^\d+$/);
          break;
        }
      }
      assert.ok(failures.includes(429), `statuses: ${failures.join(',')}`);
      assert.ok(failures.slice(0, -1).every((status) => status === 401));
      assert.equal((await login()).status, 429, 'no password is checked while limited');
    });
  });
});
