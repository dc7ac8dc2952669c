/**
 * The web admin page's transport (renderer/src/api/web.ts) against a small fake of the admin HTTP API
 * (shared/web/protocol.ts) on loopback: real fetch, a real WebSocket (ws stands in for the browser's), and a cookie
 * jar in front of fetch standing in for the browser's. Only the gateway behind the protocol is faked.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { GatewayStatus } from '../../shared/ipc/contract.ts';
import { ADMIN_API, CSRF_HEADER, SESSION_COOKIE } from '../../shared/web/protocol.ts';
import { ApiError } from '../../renderer/src/api/errors.ts';
import type { LinkState } from '../../renderer/src/api/transport.ts';
import { createWebTransport, eventsUrl, type SocketFactory, type WebTransport } from '../../renderer/src/api/web.ts';
import { STATUS } from './fake-api.ts';

const PASSWORD = 'correct horse battery staple';
const MAX_FAILED_LOGINS = 3;

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly csrf: string | undefined;
  readonly body: unknown;
}

/** The admin API as shared/web/protocol.ts describes it, with just enough behaviour to test a client. */
class FakeAdminServer {
  readonly requests: Recorded[] = [];
  readonly sessions = new Map<string, string>();
  readonly sockets = new Set<WebSocket>();
  upgrades = 0;
  failedLogins = 0;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });

  constructor() {
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
    this.#server.on('upgrade', (request: IncomingMessage, socket, head) => {
      this.upgrades += 1;
      if (request.url !== ADMIN_API.events || this.#session(request) === undefined) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  broadcast(message: string): void {
    for (const socket of this.sockets) socket.send(message);
  }

  dropSockets(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  #session(request: IncomingMessage): string | undefined {
    const cookie = /(?:^|;\s*)homegate_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    return cookie !== undefined && this.sessions.has(cookie) ? cookie : undefined;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const path = request.url ?? '';
    const csrf = request.headers[CSRF_HEADER];
    this.requests.push({ method: request.method ?? '', path, csrf: typeof csrf === 'string' ? csrf : undefined, body });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(value));
    };
    const sid = this.#session(request);

    if (path === ADMIN_API.login && request.method === 'POST') {
      if (this.failedLogins >= MAX_FAILED_LOGINS) {
        json(429, { error: { code: 'rate-limited', message: 'slow down' } }, { 'retry-after': '30' });
        return;
      }
      if ((body as { password?: unknown }).password !== PASSWORD) {
        this.failedLogins += 1;
        json(401, { error: { code: 'unauthorized', message: 'wrong password' } });
        return;
      }
      const id = randomUUID();
      this.sessions.set(id, randomUUID());
      response.writeHead(204, {
        'set-cookie': `${SESSION_COOKIE}=${id}; HttpOnly; Secure; SameSite=Strict; Path=/admin`,
      });
      response.end();
      return;
    }
    if (path === ADMIN_API.session && request.method === 'GET') {
      if (sid === undefined) json(401, { error: { code: 'unauthorized', message: 'sign in' } });
      else json(200, { csrfToken: this.sessions.get(sid) });
      return;
    }
    if (sid === undefined) {
      json(401, { error: { code: 'unauthorized', message: 'sign in' } });
      return;
    }
    if (csrf !== this.sessions.get(sid)) {
      json(403, { error: { code: 'forbidden', message: 'missing or wrong CSRF token' } });
      return;
    }
    if (path === ADMIN_API.logout && request.method === 'POST') {
      this.sessions.delete(sid);
      response.writeHead(204);
      response.end();
      return;
    }
    const name = path.startsWith(ADMIN_API.call) ? path.slice(ADMIN_API.call.length) : '';
    const input = (body as { input?: unknown } | undefined)?.input;
    switch (name) {
      case 'gateway.status':
        json(200, { result: STATUS });
        return;
      case 'hosts.add':
        json(409, { error: { code: 'conflict', message: `a host named ${(input as { name: string }).name} exists` } });
        return;
      case 'hosts.remove':
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<h1>Bad gateway</h1>');
        return;
      case 'sessions.disconnect':
        json(200, { result: true });
        return;
      default:
        json(404, { error: { code: 'not-found', message: `no call named "${name}"` } });
    }
  }
}

/** The browser's cookie jar, for fetch and the WebSocket handshake. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  readonly fetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (this.#cookies.size > 0) headers.set('cookie', this.header());
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name && value !== undefined) this.#cookies.set(name.trim(), value.trim());
    }
    return response;
  };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('web transport', () => {
  let server: FakeAdminServer;
  let baseUrl: string;
  let jar: CookieJar;
  let transport: WebTransport;
  let links: LinkState[];
  let auth: boolean[];

  const openSocket: SocketFactory = (url, handlers) => {
    const socket = new WebSocket(url, { headers: { cookie: jar.header() } });
    socket.on('open', () => handlers.open());
    socket.on('message', (data, isBinary) =>
      handlers.message(isBinary || !Buffer.isBuffer(data) ? data : data.toString('utf8')),
    );
    socket.on('close', (code) => handlers.close(code));
    // A refused handshake is reported as an error, then a close; the close is what the transport acts on.
    socket.on('error', () => undefined);
    return { close: () => socket.close() };
  };

  beforeEach(async () => {
    server = new FakeAdminServer();
    baseUrl = await server.listen();
    jar = new CookieJar();
    transport = createWebTransport({
      baseUrl,
      fetch: jar.fetch,
      openSocket,
      backoff: { initialMs: 20, maxMs: 80 },
      random: () => 0.5,
    });
    links = [];
    auth = [];
    transport.onLink((state) => links.push(state));
    transport.onAuth((signedIn) => auth.push(signedIn));
  });

  afterEach(async () => {
    transport.close();
    await server.close();
  });

  const signIn = async (): Promise<void> => {
    await transport.login(PASSWORD);
    await waitFor('the events socket', () => server.sockets.size === 1 && links.at(-1) === 'open');
  };

  it('derives the events URL from the page origin (wss for https)', () => {
    assert.equal(eventsUrl('https://gw.example:8443'), 'wss://gw.example:8443/admin/api/events');
    assert.equal(eventsUrl('http://127.0.0.1:9000'), 'ws://127.0.0.1:9000/admin/api/events');
  });

  it('finds no session before login, and opens no events socket', async () => {
    assert.equal(await transport.checkSession(), false);
    assert.deepEqual(links, ['closed']);
    assert.equal(server.upgrades, 0);
    await assert.rejects(transport.api['gateway.status'](undefined), { name: 'ApiError', code: 'unauthorized' });
    assert.equal(server.requests.length, 1, 'a call without a session is refused before any request');
  });

  it('refuses a wrong password, then reports the rate limit with its wait', async () => {
    for (let i = 0; i < MAX_FAILED_LOGINS; i += 1) {
      await assert.rejects(transport.login('nope'), { name: 'ApiError', code: 'unauthorized', status: 401 });
    }
    const error = await transport.login(PASSWORD).then(
      () => assert.fail('the login should be rate-limited'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'rate-limited');
    assert.equal(error.retryAfterSeconds, 30);
    assert.match(error.message, /30 s/);
    assert.deepEqual(auth, []);
  });

  it('logs in, keeps the session, sends the CSRF token with each call and returns the result', async () => {
    await signIn();
    assert.deepEqual(auth, [true]);
    assert.deepEqual(links, ['closed', 'connecting', 'open']);
    const status: GatewayStatus = await transport.api['gateway.status'](undefined);
    assert.deepEqual(status, STATUS);
    const disconnected = await transport.api['sessions.disconnect']({ id: '6f1c1f7e-6a43-4b8a-9d54-2b9d4f5c1a01' });
    assert.equal(disconnected, true);

    const calls = server.requests.filter((r) => r.path.startsWith(ADMIN_API.call));
    const [sid] = [...server.sessions.keys()];
    const csrf = server.sessions.get(sid ?? '');
    assert.ok(csrf);
    assert.deepEqual(
      calls.map((r) => [r.method, r.path, r.csrf]),
      [
        ['POST', '/admin/api/call/gateway.status', csrf],
        ['POST', '/admin/api/call/sessions.disconnect', csrf],
      ],
    );
    assert.deepEqual(calls[1]?.body, { input: { id: '6f1c1f7e-6a43-4b8a-9d54-2b9d4f5c1a01' } });
    // The login itself carries the password and no CSRF token (there is none yet).
    const login = server.requests.find((r) => r.path === ADMIN_API.login);
    assert.deepEqual(login?.body, { password: PASSWORD });
    assert.equal(login?.csrf, undefined);
  });

  it('maps error answers to ApiError with the contract code, or the HTTP status when the body has none', async () => {
    await signIn();
    await assert.rejects(transport.api['hosts.add']({ name: 'nas', address: '10.0.0.5', port: 3389 }), {
      name: 'ApiError',
      code: 'conflict',
      status: 409,
      message: 'a host named nas exists',
    });
    await assert.rejects(transport.api['hosts.remove']({ name: 'nas' }), {
      code: 'internal',
      status: 502,
      message: 'HTTP 502',
    });
    await assert.rejects(transport.api['tokens.list'](undefined), { code: 'not-found', status: 404 });
  });

  it('reports a gateway that does not answer as unavailable', async () => {
    const nowhere = createWebTransport({ baseUrl: 'http://127.0.0.1:1', openSocket });
    await assert.rejects(nowhere.checkSession(), { name: 'ApiError', code: 'unavailable' });
    nowhere.close();
  });

  it('delivers contract events to their listeners and ignores anything else', async () => {
    await signIn();
    const received: unknown[] = [];
    const statuses: unknown[] = [];
    const off = transport.api.on('sessions.changed', (sessions) => received.push(sessions));
    transport.api.on('status.changed', (status) => statuses.push(status));
    server.broadcast('not json');
    server.broadcast(JSON.stringify({ event: 'something.else', payload: 1 }));
    server.broadcast(JSON.stringify({ event: 'sessions.changed', payload: [] }));
    server.broadcast(JSON.stringify({ event: 'status.changed', payload: STATUS }));
    await waitFor('both events', () => received.length === 1 && statuses.length === 1);
    assert.deepEqual(received, [[]]);
    assert.deepEqual(statuses, [STATUS]);
    off();
    server.broadcast(JSON.stringify({ event: 'sessions.changed', payload: [] }));
    server.broadcast(JSON.stringify({ event: 'status.changed', payload: STATUS }));
    await waitFor('the second status', () => statuses.length === 2);
    assert.equal(received.length, 1, 'an unsubscribed listener hears nothing more');
  });

  it('reconnects the events socket after a drop, with backoff, and keeps delivering', async () => {
    await signIn();
    const received: unknown[] = [];
    transport.api.on('sessions.changed', (sessions) => received.push(sessions));
    const droppedAt = Date.now();
    server.dropSockets();
    await waitFor('the drop to be noticed', () => links.at(-1) === 'reconnecting');
    await waitFor('the reconnection', () => server.upgrades === 2 && links.at(-1) === 'open');
    assert.ok(Date.now() - droppedAt >= 15, 'the first retry waits about initialMs');
    assert.deepEqual(links.slice(-2), ['reconnecting', 'open']);
    assert.equal(server.upgrades, 2);
    server.broadcast(JSON.stringify({ event: 'sessions.changed', payload: [] }));
    await waitFor('an event on the new socket', () => received.length === 1);
  });

  it('keeps retrying with growing delays while the events endpoint refuses, and recovers', async () => {
    await signIn();
    let refuse = true;
    const realOpen = openSocket;
    const attempts: number[] = [];
    const flaky = createWebTransport({
      baseUrl,
      fetch: jar.fetch,
      backoff: { initialMs: 20, maxMs: 80 },
      random: () => 0.5,
      openSocket: (url, handlers) => {
        attempts.push(Date.now());
        if (refuse) {
          setTimeout(() => handlers.close(1006), 0);
          return { close: () => undefined };
        }
        return realOpen(url, handlers);
      },
    });
    try {
      assert.equal(await flaky.checkSession(), true);
      await waitFor('four attempts', () => attempts.length >= 4);
      const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? at));
      assert.ok((gaps[2] ?? 0) >= (gaps[0] ?? 0), `delays grow: ${gaps.join(', ')} ms`);
      refuse = false;
      await waitFor('the recovered socket', () => server.sockets.size === 2);
    } finally {
      flaky.close();
    }
  });

  it('signs out when the session expires: the reconnect finds no session and stops', async () => {
    await signIn();
    server.sessions.clear();
    server.dropSockets();
    await waitFor('the sign-out', () => auth.at(-1) === false);
    assert.equal(links.at(-1), 'closed');
    const upgrades = server.upgrades;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(server.upgrades, upgrades, 'no more attempts after the session is gone');
  });

  it('a call answered 401 signs out and closes the events socket', async () => {
    await signIn();
    server.sessions.clear();
    await assert.rejects(transport.api['gateway.status'](undefined), { code: 'unauthorized', status: 401 });
    assert.deepEqual(auth, [true, false]);
    await waitFor('the socket to close', () => server.sockets.size === 0);
    assert.equal(links.at(-1), 'closed');
  });

  it('logs out with the CSRF token, closes the events socket and refuses further calls locally', async () => {
    await signIn();
    await transport.logout();
    const logout = server.requests.find((r) => r.path === ADMIN_API.logout);
    assert.ok(logout?.csrf);
    assert.equal(server.sessions.size, 0);
    assert.deepEqual(auth, [true, false]);
    await waitFor('the socket to close', () => server.sockets.size === 0);
    const before = server.requests.length;
    await assert.rejects(transport.api['gateway.status'](undefined), { code: 'unauthorized' });
    assert.equal(server.requests.length, before);
    assert.equal(await transport.checkSession(), false);
  });
});
