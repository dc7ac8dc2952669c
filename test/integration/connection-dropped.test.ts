/**
 * Connections the gateway closes before they make a request — silent ones, slow request heads, a legacy channel
 * whose partner never comes — each leave a `connection.dropped` audit line (folded under a flood, nothing the client
 * sent in it), and the ones that say something about the client's setup a doctor attempt.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, test } from 'node:test';
import { AUDIT_FOLD_FULL_LINES } from '../../main/sessions/audit-log.ts';
import { withGateway, type AuditRecord, type TestGateway } from '../helpers/gateway.ts';
import { openOutChannel } from '../helpers/legacy-client.ts';
import { within } from '../helpers/wait.ts';

const LIMITS = { tlsHandshakeSeconds: 0.3, requestHeadSeconds: 0.6, legacyPairSeconds: 0.3 };
const CLOSE_WAIT_MS = 5_000;

function closed(socket: Socket): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    }),
    CLOSE_WAIT_MS,
    'the gateway closing the connection',
  );
}

/** A TLS connection whose handshake completes; `then` runs on it (it stays open until the gateway closes it). */
function secured(gateway: TestGateway, then: (socket: Socket) => void = () => undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port: gateway.port, servername: 'localhost', ca: gateway.service.tls.caCertPem },
      () => {
        then(socket);
        resolve(socket);
      },
    );
    socket.on('error', reject);
  });
}

const dropped = (record: AuditRecord): boolean => record.event === 'connection.dropped';

/** `record` is a `connection.dropped` line from 127.0.0.1 with a time and exactly `fields` besides. */
function assertDropped(record: AuditRecord, fields: Readonly<Record<string, string>>): void {
  const { time, ...rest } = record;
  assert.ok(!Number.isNaN(Date.parse(time)), time);
  assert.deepEqual(rest, { event: 'connection.dropped', client: '127.0.0.1', ...fields });
}

describe('connection.dropped: what the gateway closes before a request', () => {
  test('a TCP connection that never starts TLS', async (t) => {
    const gateway = await withGateway(t, { limits: LIMITS });
    const next = await gateway.auditFromNow();
    const socket = netConnect({ host: '127.0.0.1', port: gateway.port });
    socket.on('error', () => undefined);
    await closed(socket);
    const record = await next(dropped);
    assertDropped(record, { transport: 'tls', reason: 'tls-handshake-timeout' });
  });

  test('a finished handshake and then nothing: an audit line, no doctor attempt (browsers leave spare connections)', async (t) => {
    const gateway = await withGateway(t, { limits: LIMITS });
    const next = await gateway.auditFromNow();
    await closed(await secured(gateway));
    const record = await next(dropped);
    assertDropped(record, { transport: 'tls', reason: 'no-request' });
    assert.deepEqual(gateway.service.attempts.list(), []);
  });

  test('a request head sent too slowly: an audit line without what it sent, and a doctor attempt', async (t) => {
    const gateway = await withGateway(t, { limits: LIMITS });
    const next = await gateway.auditFromNow();
    const secret = 'RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nAuthorization: Bearer s3cr3t-head';
    await closed(await secured(gateway, (socket) => socket.write(secret)));
    const record = await next(dropped);
    assertDropped(record, { transport: 'tls', reason: 'slow-head' });
    const [attempt] = gateway.service.attempts.list();
    assert.equal(attempt?.code, 'timeout');
    assert.equal(attempt.stage, 'request');
    assert.ok(!JSON.stringify(await gateway.auditRecords()).includes('s3cr3t'), 'nothing the client sent is audited');
  });

  test('a legacy RDG_OUT_DATA whose RDG_IN_DATA never comes: an audit line and a doctor attempt with the fix', async (t) => {
    const gateway = await withGateway(t, { limits: LIMITS });
    const next = await gateway.auditFromNow();
    const out = await openOutChannel(
      { host: '127.0.0.1', port: gateway.port, ca: gateway.service.tls.caCertPem, servername: 'localhost' },
      `{${randomUUID()}}`,
    );
    await closed(out.socket);
    const record = await next(dropped);
    assertDropped(record, { transport: 'http', reason: 'no-partner', channel: 'out' });
    const [attempt] = gateway.service.attempts.list();
    assert.equal(attempt?.stage, 'request');
    assert.equal(attempt.transport, 'http');
    assert.match(attempt.cause, /RDG_OUT_DATA came, RDG_IN_DATA never did/);
    assert.match(attempt.fix, /reverse proxy/);
  });

  test('a flood of silent connections is folded: a few full lines, then one count', async (t) => {
    const gateway = await withGateway(t, { limits: LIMITS });
    const flood = AUDIT_FOLD_FULL_LINES + 5;
    const sockets = Array.from({ length: flood }, () => {
      const socket = netConnect({ host: '127.0.0.1', port: gateway.port });
      socket.on('error', () => undefined);
      return socket;
    });
    await Promise.all(sockets.map(closed));
    // Stopping the gateway closes the audit log, which writes the pending counts.
    await gateway.service.stop();
    const lines = (await gateway.auditRecords()).filter(dropped);
    const full = lines.filter((line) => line.repeated === undefined);
    const folded = lines.filter((line) => line.repeated !== undefined);
    assert.equal(full.length, AUDIT_FOLD_FULL_LINES);
    assert.equal(folded.length, 1);
    assert.equal(folded[0]?.repeated, flood - AUDIT_FOLD_FULL_LINES);
  });
});
