/**
 * The gateway's front door under clients that connect and then stall, on loopback with real sockets: a TLS
 * handshake that never finishes is closed at its deadline, and a legitimate client is still served meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateCertificates, type TlsMaterial } from '../../main/certs/certificate-store.ts';
import { GatewayServer } from '../../main/gateway/http/gateway-server.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { rawHttpsExchange } from '../helpers/raw-https.ts';
import { within } from '../helpers/wait.ts';

const HANDSHAKE_TIMEOUT_MS = 300;
/** A bound on how long the gateway may take past a deadline to close (timer and scheduling slack, 2 busy cores). */
const CLOSE_SLACK_MS = 4_000;
const SILENT_CONNECTIONS = 64;

/** A TCP connection from `localAddress` that sends nothing; resolves once connected. */
function silentConnection(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
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

/** Resolves with when the peer closed `socket` (the client itself never ends it here). */
function closedByPeer(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(Date.now());
    else socket.once('close', () => resolve(Date.now()));
  });
}

describe('TLS handshakes that never finish', { timeout: 60_000 }, () => {
  let dir: string;
  let tls: TlsMaterial;
  let server: GatewayServer;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-limits-'));
    tls = await loadOrCreateCertificates(join(dir, 'tls'), { publicNames: [], logger: silentLogger });
    server = new GatewayServer({
      tls,
      logger: silentLogger,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      onGatewayRequest: ({ socket }) => socket.destroy(),
      onHttpRequest: (_request, response) => response.end('ok'),
    });
    port = (await server.listen('127.0.0.1', 0)).port;
  });

  after(async () => {
    await server.stopAccepting();
    server.destroyPending();
    await rm(dir, { recursive: true, force: true });
  });

  it('silent TCP connections are closed by the gateway at the handshake deadline', async () => {
    const opened = Date.now();
    const sockets = await Promise.all(Array.from({ length: SILENT_CONNECTIONS }, () => silentConnection(port)));
    try {
      const closedAt = await within(
        Promise.all(sockets.map((socket) => closedByPeer(socket))),
        HANDSHAKE_TIMEOUT_MS + CLOSE_SLACK_MS,
        `the gateway closing ${SILENT_CONNECTIONS} silent connections`,
      );
      // Not before the deadline either: the client had its full handshake time.
      for (const at of closedAt) assert.ok(at - opened >= HANDSHAKE_TIMEOUT_MS - 50, `closed after ${at - opened} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('a legitimate client is served while silent connections are held', async () => {
    const sockets = await Promise.all(Array.from({ length: SILENT_CONNECTIONS }, () => silentConnection(port)));
    try {
      const response = await rawHttpsExchange(
        { host: '127.0.0.1', port, ca: tls.caCertPem },
        'GET /jet/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      );
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), 'ok');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
