/**
 * The gateway's front door under clients that connect and then stall, on loopback with real sockets, attacker
 * connections bound to their own addresses in 127.0.0.0/8: a TLS handshake that never finishes is closed at its
 * deadline; a request head trickling in a byte at a time is closed at an absolute deadline from accept; one address
 * holds at most its own cap of unproven connections; and a legitimate client from another address is served while
 * attackers fill the global cap.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateCertificates, type TlsMaterial } from '../../main/certs/certificate-store.ts';
import { LimitsSchema, type LimitsSettings } from '../../main/config/schema.ts';
import { GatewayServer } from '../../main/gateway/http/gateway-server.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { rawHttpsExchange } from '../helpers/raw-https.ts';
import { within } from '../helpers/wait.ts';

/** A bound on how long the gateway may take past a deadline to close (timer and scheduling slack, 2 busy cores). */
const CLOSE_SLACK_MS = 4_000;
const LEGIT = '127.0.0.1';
const HEALTH_REQUEST = 'GET /jet/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

/** A TCP connection from `localAddress` that sends nothing; resolves once connected. */
function silentConnection(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A finished TLS handshake from `localAddress`; resolves once secure. */
function tlsConnection(port: number, localAddress: string, ca: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tcp = netConnect({ host: '127.0.0.1', port, localAddress });
    const socket = tlsConnect({ socket: tcp, ca, servername: 'localhost' });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves with when the peer closed `socket` (the client itself never ends it here). */
function closedByPeer(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(Date.now());
    else socket.once('close', () => resolve(Date.now()));
  });
}

/** Writes `text` a byte every `intervalMs` until the socket closes (bounded by the text's length). */
function trickle(socket: Socket, text: string, intervalMs: number): () => void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) return;
    socket.write(text[index++] ?? '');
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

/** Waits until `predicate` holds, polling every 20 ms, at most `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the front door under stalling clients', { timeout: 60_000 }, () => {
  let dir: string;
  let tls: TlsMaterial;
  let server: GatewayServer;
  let port: number;
  let plainPort: number;
  let limits: LimitsSettings = LimitsSchema.parse({});
  const opened: Socket[] = [];

  /** Opens `count` connections with `open`, remembering them for cleanup. */
  async function hold(count: number, open: () => Promise<Socket>): Promise<Socket[]> {
    const sockets = await Promise.all(Array.from({ length: count }, open));
    opened.push(...sockets);
    return sockets;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-limits-'));
    tls = await loadOrCreateCertificates(join(dir, 'tls'), { publicNames: [], logger: silentLogger });
    server = new GatewayServer({
      tls,
      logger: silentLogger,
      limits: () => limits,
      onGatewayRequest: (request) => {
        // An RDG_IN_DATA without a body, as the legacy transport answers it: 200, then the next head is read.
        request.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
        request.readNext();
      },
      onHttpRequest: (_request, response) => response.end('ok'),
    });
    port = (await server.listen('127.0.0.1', 0)).port;
    plainPort = (await server.listenPlain('127.0.0.1', 0)).port;
  });

  after(async () => {
    for (const socket of opened) socket.destroy();
    await server.stopAccepting();
    server.destroyPending();
    await rm(dir, { recursive: true, force: true });
  });

  it('silent TCP connections are closed by the gateway at the TLS handshake deadline', async () => {
    limits = LimitsSchema.parse({ tlsHandshakeSeconds: 0.3, maxPendingConnectionsPerAddress: 64 });
    const started = Date.now();
    const sockets = await hold(64, () => silentConnection(port, '127.0.0.2'));
    const closedAt = await within(
      Promise.all(sockets.map(closedByPeer)),
      300 + CLOSE_SLACK_MS,
      'the gateway closing 64 silent connections',
    );
    // Not before the deadline either: each client had its full handshake time.
    for (const at of closedAt) assert.ok(at - started >= 250, `closed after ${at - started} ms`);
  });

  it('a request head sent a byte at a time is closed at its deadline from accept, however steady the bytes', async () => {
    limits = LimitsSchema.parse({ tlsHandshakeSeconds: 0.5, requestHeadSeconds: 1 });
    const started = Date.now();
    const [socket] = await hold(1, () => tlsConnection(port, '127.0.0.2', tls.caCertPem));
    assert.ok(socket);
    // 'GET / ...' and an endless header: a byte every 50 ms, far inside any idle timeout.
    trickle(socket, `GET / HTTP/1.1\r\nX-Slow: ${'a'.repeat(1000)}`, 50);
    const closedAt = await within(closedByPeer(socket), 1_000 + CLOSE_SLACK_MS, 'the slow head being closed');
    assert.ok(closedAt - started >= 950, `closed after ${closedAt - started} ms`);
  });

  it('the plain-HTTP listener has the same head deadline', async () => {
    limits = LimitsSchema.parse({ tlsHandshakeSeconds: 0.5, requestHeadSeconds: 1 });
    const [socket] = await hold(1, () => silentConnection(plainPort, '127.0.0.2'));
    assert.ok(socket);
    trickle(socket, `GET / HTTP/1.1\r\nX-Slow: ${'a'.repeat(1000)}`, 50);
    await within(closedByPeer(socket), 1_000 + CLOSE_SLACK_MS, 'the slow plain head being closed');
  });

  it('a later head on a kept-alive connection gets the deadline afresh, not for ever', async () => {
    limits = LimitsSchema.parse({ tlsHandshakeSeconds: 0.5, requestHeadSeconds: 1 });
    const [socket] = await hold(1, () => tlsConnection(port, '127.0.0.2', tls.caCertPem));
    assert.ok(socket);
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('RDG_IN_DATA /remotedesktopgateway/ HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await within(answered, 5_000, 'the first answer');
    const since = Date.now();
    trickle(socket, `RDG_IN_DATA /remotedesktopgateway/ HTTP/1.1\r\nX-Slow: ${'a'.repeat(1000)}`, 50);
    const closedAt = await within(closedByPeer(socket), 1_000 + CLOSE_SLACK_MS, 'the slow second head being closed');
    assert.ok(closedAt - since >= 900, `closed after ${closedAt - since} ms`);
  });

  it('one address holds at most its own cap of connections that have made no request', async () => {
    const cap = 4;
    limits = LimitsSchema.parse({
      tlsHandshakeSeconds: 5,
      requestHeadSeconds: 5,
      maxPendingConnectionsPerAddress: cap,
    });
    const sockets = await hold(cap * 3, () => silentConnection(port, '127.0.0.3'));
    let closed = 0;
    for (const socket of sockets) void closedByPeer(socket).then(() => (closed += 1));
    // The ones over the cap are closed at once, long before the 5 s deadline.
    await until(() => closed >= cap * 2, 3_000, 'the connections over the cap being closed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(sockets.filter((socket) => !socket.destroyed).length, cap);
    // Another address is not affected.
    const response = await rawHttpsExchange({ host: '127.0.0.1', port, ca: tls.caCertPem }, HEALTH_REQUEST);
    assert.equal(response.status, 200);
    for (const socket of sockets) socket.destroy();
  });

  it('attackers on several addresses fill the global cap, and a legitimate client is still served', async () => {
    limits = LimitsSchema.parse({
      tlsHandshakeSeconds: 5,
      requestHeadSeconds: 5,
      maxPendingConnections: 8,
      maxPendingConnectionsPerAddress: 4,
    });
    const attackers = ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
    const sockets: Socket[] = [];
    for (const address of attackers) sockets.push(...(await hold(4, () => silentConnection(port, address))));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(sockets.filter((socket) => !socket.destroyed).length, 8, 'the attackers hold the whole cap');
    const response = await rawHttpsExchange({ host: LEGIT, port, ca: tls.caCertPem }, HEALTH_REQUEST);
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'ok');
    // The legitimate client took one attacker's place, no more.
    assert.equal(sockets.filter((socket) => !socket.destroyed).length, 7);
    for (const socket of sockets) socket.destroy();
  });
});
