/**
 * The TCP relay against the real gateway (startGateway with a relay listener), with raw TCP clients that send a
 * preconnection PDU, and loopback targets that count connections: what is relayed, what is refused (and then
 * nothing is dialled), replay and revocation — including revocation through MS-TSGU.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LimitsSchema } from '../../main/config/schema.ts';
import { HResult } from '../../main/gateway/tsgu/constants.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { createConnector } from '../../main/relay/connector.ts';
import { RelayRefusal } from '../../main/relay/errors.ts';
import { RelayServer, type RelayPolicy } from '../../main/relay/listener.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { issueAssociationToken, issueJrlToken } from '../../main/security/tokens.ts';
import type { AuditEvent, AuditSink } from '../../main/sessions/audit-log.ts';
import { SessionRegistry } from '../../main/sessions/registry.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { foreignSigningKey, startTestGateway, type AuditRecord, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer, unusedPort } from '../helpers/targets.ts';
import { TsguClient, openTunnel } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const X224 = Buffer.from('030000130ee000000000000100080003000000', 'hex');

/** A raw relay client: connects, writes `bytes`, and collects what comes back until the relay closes. */
class RelayClient {
  readonly socket: Socket;
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, bytes?: Buffer, localAddress = '127.0.0.1'): Promise<RelayClient> {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RelayClient(socket);
    if (bytes) socket.write(bytes);
    return client;
  }

  /** Resolves once the relay closes the connection (bounded). */
  waitClosed(timeoutMs = 5_000): Promise<void> {
    return within(this.closed, timeoutMs, 'the relay closing the connection');
  }
}

const pcb = (token: string, after: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([encodePreconnectionPdu(token, { trailingNuls: 2 }), after]);

describe('TCP relay (preconnection PDU + ASSOCIATION token)', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let other: TargetServer;
  const clients: RelayClient[] = [];

  before(async () => {
    gateway = await startTestGateway({ relay: true });
  });
  after(() => gateway.dispose());

  beforeEach(async () => {
    echo = await TargetServer.start({ mode: 'echo' });
    other = await TargetServer.start({ mode: 'sink' });
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      hosts: [
        { name: 'echo', address: '127.0.0.1', port: echo.port },
        { name: 'other', address: '127.0.0.1', port: other.port },
      ],
      relay: { ...settings.relay, reuseWindowSeconds: 10, maxReuses: 10 },
    }));
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await echo.close();
    await other.close();
  });

  async function token(targets: string[], overrides: { now?: Date; gatewayId?: string } = {}) {
    return issueAssociationToken(gateway.service.context.signingKey, {
      gatewayId: overrides.gatewayId ?? gateway.gatewayId,
      targets,
      ttlSeconds: 300,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
  }

  async function client(bytes?: Buffer): Promise<RelayClient> {
    const opened = await RelayClient.open(gateway.relayPort, bytes);
    clients.push(opened);
    return opened;
  }

  /** Sends `bytes`, expects the relay to close, a `tunnel.refused` record with `failure`, and nothing dialled. */
  async function refused(bytes: Buffer, failure: string): Promise<AuditRecord> {
    const audit = await gateway.auditFromNow();
    const refusedClient = await client(bytes);
    await refusedClient.waitClosed();
    const record = await audit((r) => r.event === 'tunnel.refused' && r.transport === 'relay');
    assert.equal(record.failure, failure, JSON.stringify(record));
    assert.equal(echo.acceptCount, 0, 'nothing was dialled');
    assert.equal(other.acceptCount, 0, 'nothing was dialled');
    assert.equal(gateway.service.sessions.size, 0);
    return record;
  }

  it('relays the stream after the PDU — never the PDU — both ways, as a relay session', async () => {
    const audit = await gateway.auditFromNow();
    const { token: jwt, claims } = await token([`tcp://echo:${echo.port}`]);
    const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
    // The X.224 request comes in the same write as the PDU, as FreeRDP may coalesce them.
    const c = await client(pcb(jwt, X224));
    const target = await echo.connection();
    await target.waitForBytes(X224.length);
    const session = await within(started, 5_000, 'the session start');
    assert.equal(session.transport, 'relay');
    assert.equal(session.host, 'echo');
    assert.equal(session.tokenId, claims.jti);
    assert.equal(session.target, `127.0.0.1:${echo.port}`);
    assert.deepStrictEqual(session.association, {
      associationId: claims.jet_aid,
      applicationProtocol: 'rdp',
      destinationHost: `tcp://echo:${echo.port}`,
      filtering: false,
    });
    const payload = Buffer.from('hello through the relay');
    c.socket.write(payload);
    await target.waitForBytes(X224.length + payload.length);
    // The target saw exactly the X.224 request and the payload: the PDU was consumed.
    const expected = Buffer.concat([X224, payload]);
    const { createHash } = await import('node:crypto');
    assert.equal(target.digest(), createHash('sha256').update(expected).digest('hex'));
    const deadline = Date.now() + 5_000;
    while (Buffer.concat(c.received).length < expected.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepStrictEqual(Buffer.concat(c.received), expected);

    const ended = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('end', resolve));
    c.socket.end();
    const end = await within(ended, 5_000, 'the session end');
    assert.equal(end.endReason, 'client-closed');
    assert.equal(end.bytesToTarget, expected.length);
    const connect = await audit((r) => r.event === 'tunnel.connect');
    assert.equal(connect.transport, 'relay');
    assert.equal(connect.associationId, claims.jet_aid);
  });

  it('tries dst_alt in order when dst_hst does not answer', async () => {
    const dead = await unusedPort();
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      hosts: [...settings.hosts, { name: 'dead', address: '127.0.0.1', port: dead }],
    }));
    const { token: jwt } = await token([`dead:${dead}`, `tcp://echo:${echo.port}`]);
    const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
    await client(pcb(jwt, X224));
    await (await echo.connection()).waitForBytes(X224.length);
    assert.equal((await within(started, 5_000, 'the session start')).host, 'echo');
  });

  it('matches targets by configured address as well as by name', async () => {
    const { token: jwt } = await token([`127.0.0.1:${echo.port}`]);
    await client(pcb(jwt, X224));
    await (await echo.connection()).waitForBytes(X224.length);
  });

  describe('refusals: the connection is closed and nothing is dialled', () => {
    it('a garbage token', async () => {
      await refused(pcb('not-a-token'), 'malformed');
    });

    it('no preconnection PDU at all (the client sent X.224 first)', async () => {
      await refused(X224, 'no-pcb');
    });

    it('a declared PDU size over the limit', async () => {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(1024 * 1024, 0);
      await refused(head, 'too-large');
    });

    it('an expired token', async () => {
      const { token: jwt } = await token([`echo:${echo.port}`], { now: new Date(Date.now() - 3_600_000) });
      await refused(pcb(jwt), 'expired');
    });

    it('a token for another gateway', async () => {
      const { token: jwt } = await token([`echo:${echo.port}`], { gatewayId: randomUUID() });
      await refused(pcb(jwt), 'wrong-gateway');
    });

    it('a token signed by a key the gateway does not trust', async () => {
      const { token: jwt } = await issueAssociationToken(await foreignSigningKey(), {
        gatewayId: gateway.gatewayId,
        targets: [`echo:${echo.port}`],
        ttlSeconds: 300,
      });
      await refused(pcb(jwt), 'unknown-key');
    });

    it('a PAA (MS-TSGU) token instead of an ASSOCIATION token', async () => {
      const { token: paa } = await gateway.token(['echo']);
      await refused(pcb(paa), 'wrong-kind');
    });

    it('a target that is not on the allowlist (no open proxy)', async () => {
      const stray = await TargetServer.start({ mode: 'sink' });
      try {
        const { token: jwt } = await token([`tcp://127.0.0.1:${stray.port}`]);
        const record = await refused(pcb(jwt), 'not-allowed-host');
        assert.equal(record.stage, 'target');
        assert.equal(stray.acceptCount, 0);
      } finally {
        await stray.close();
      }
    });

    it('an allowed host on another port', async () => {
      const { token: jwt } = await token([`echo:${other.port}`]);
      await refused(pcb(jwt), 'not-allowed-host');
    });

    it('any non-allowed target among the alternates (the whole token is refused)', async () => {
      const { token: jwt } = await token([`echo:${echo.port}`, 'tcp://192.0.2.1:3389']);
      await refused(pcb(jwt), 'not-allowed-host');
    });

    it('a rendezvous (rdv) token, named as unsupported', async () => {
      const { SignJWT } = await import('jose');
      const key = gateway.service.context.signingKey;
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({
        jti: randomUUID(),
        iat: now,
        nbf: now,
        exp: now + 300,
        jet_gw_id: gateway.gatewayId,
        jet_aid: randomUUID(),
        jet_ap: 'rdp',
        jet_cm: 'rdv',
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, cty: 'ASSOCIATION' })
        .sign(key.privateKey);
      const record = await refused(pcb(jwt), 'unsupported');
      assert.match(String(record.detail), /rdv/);
    });

    it('a token for another application protocol', async () => {
      const { token: jwt } = await issueAssociationToken(gateway.service.context.signingKey, {
        gatewayId: gateway.gatewayId,
        targets: [`echo:${echo.port}`],
        applicationProtocol: 'vnc',
        ttlSeconds: 300,
      });
      await refused(pcb(jwt), 'wrong-protocol');
    });
  });

  describe('replay', () => {
    it('allows a reconnection from the same address within the window, up to the count, then refuses', async () => {
      await gateway.service.context.settings.update((s) => ({ ...s, relay: { ...s.relay, maxReuses: 1 } }));
      const { token: jwt } = await token([`echo:${echo.port}`]);
      await client(pcb(jwt, X224));
      await (await echo.connection(0)).waitForBytes(X224.length);
      // RDP clients reconnect during security negotiation: a second connection is allowed.
      await client(pcb(jwt, X224));
      await (await echo.connection(1)).waitForBytes(X224.length);
      const audit = await gateway.auditFromNow();
      const third = await client(pcb(jwt, X224));
      await third.waitClosed();
      const record = await audit((r) => r.event === 'tunnel.refused' && r.transport === 'relay');
      assert.equal(record.failure, 'replayed');
      assert.match(String(record.detail), /more than 1 reconnection/);
      assert.equal(echo.acceptCount, 2);
    });

    it('refuses a replay after the window', async () => {
      await gateway.service.context.settings.update((s) => ({ ...s, relay: { ...s.relay, reuseWindowSeconds: 0 } }));
      const { token: jwt } = await token([`echo:${echo.port}`]);
      await client(pcb(jwt, X224));
      await (await echo.connection(0)).waitForBytes(X224.length);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const audit = await gateway.auditFromNow();
      await (await client(pcb(jwt, X224))).waitClosed();
      assert.equal((await audit((r) => r.event === 'tunnel.refused')).failure, 'replayed');
      assert.equal(echo.acceptCount, 1);
    });
  });

  describe('revocation', () => {
    it('refuses a revoked token and ends the live session that used it', async () => {
      const { token: jwt, claims } = await token([`echo:${echo.port}`]);
      const c = await client(pcb(jwt, X224));
      await (await echo.connection()).waitForBytes(X224.length);
      const ended = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('end', resolve));
      const current = gateway.service.revocation.current;
      await gateway.service.revocation.replace({
        jti: randomUUID(),
        iat: current.iat + 1,
        jrl: { jti: [claims.jti] },
      });
      const end = await within(ended, 5_000, 'the revoked session to end');
      assert.equal(end.endReason, 'revoked');
      await c.waitClosed();
      const audit = await gateway.auditFromNow();
      await (await client(pcb(jwt, X224))).waitClosed();
      assert.equal((await audit((r) => r.event === 'tunnel.refused')).failure, 'revoked');
      assert.equal(echo.acceptCount, 1);
    });

    it('revokes by association id (jet_aid) too', async () => {
      const { token: jwt, claims } = await token([`echo:${echo.port}`]);
      const current = gateway.service.revocation.current;
      await gateway.service.revocation.replace({
        jti: randomUUID(),
        iat: current.iat + 1,
        jrl: { jet_aid: [claims.jet_aid] },
      });
      await refused(pcb(jwt), 'revoked');
    });

    it('refuses a revoked PAA token through MS-TSGU and ends a live MS-TSGU session that used it', async () => {
      const { token: paa, claims } = await gateway.token(['echo']);
      const tunnel = await openTunnel(gateway.clientOptions(), paa, { name: 'echo', port: echo.port });
      try {
        const ended = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('end', resolve));
        const { token: jrlToken, claims: jrl } = await issueJrlToken(gateway.service.context.signingKey, {
          jrl: { jti: [claims.jti] },
          iat: gateway.service.revocation.current.iat + 1,
        });
        assert.ok(jrlToken.length > 0);
        await gateway.service.revocation.replace(jrl);
        assert.equal((await within(ended, 5_000, 'the MS-TSGU session to end')).endReason, 'revoked');
      } finally {
        tunnel.destroy();
      }
      const audit = await gateway.auditFromNow();
      const refusedClient = await TsguClient.connect(gateway.clientOptions());
      try {
        await refusedClient.handshake();
        const response = await refusedClient.createTunnel(paa);
        assert.equal(response.statusCode, HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
      } finally {
        refusedClient.destroy();
      }
      const record = await audit((r) => r.event === 'tunnel.refused');
      assert.equal(record.failure, 'revoked');
      assert.equal(echo.acceptCount, 1, 'only the first tunnel dialled');
    });
  });

  it('an admin disconnect (registry) ends a relay session', async () => {
    const { token: jwt } = await token([`echo:${echo.port}`]);
    const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
    const c = await client(pcb(jwt, X224));
    const session = await within(started, 5_000, 'the session start');
    const ended = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('end', resolve));
    assert.equal(gateway.service.sessions.disconnect(session.id), true);
    assert.equal((await within(ended, 5_000, 'the session end')).endReason, 'admin-disconnect');
    await c.waitClosed();
  });
});

describe('relay listener limits (stub policy)', { timeout: 30_000 }, () => {
  it('drops a client that does not finish its PDU in time, without dialling', async () => {
    const records: AuditEvent[] = [];
    const audit: AuditSink = { record: (event) => void records.push(event) };
    const sessions = new SessionRegistry({ audit, logger: silentLogger });
    let authorized = 0;
    const policy: RelayPolicy = {
      authorize: () => {
        authorized += 1;
        return Promise.reject(new RelayRefusal('token', 'malformed', 'stub'));
      },
    };
    const relay = new RelayServer({
      policy,
      connector: createConnector({ logger: silentLogger, wake: () => undefined }),
      sessions,
      audit,
      logger: silentLogger,
      limits: () => LimitsSchema.parse({ relayPduSeconds: 0.2 }),
    });
    const address = await relay.listen('127.0.0.1', 0);
    try {
      const slow = await RelayClient.open(address.port, encodePreconnectionPdu('half').subarray(0, 10));
      const started = Date.now();
      await slow.waitClosed(3_000);
      assert.ok(Date.now() - started < 2_000);
      assert.equal(records[0]?.failure, 'timeout');
      assert.equal(authorized, 0);
      // A connection that sends nothing and leaves is not worth an audit line.
      const probe = await RelayClient.open(address.port);
      probe.socket.end();
      await probe.waitClosed();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(records.length, 1);
    } finally {
      relay.stopAccepting();
      relay.terminateAll('shutdown');
      await within(relay.drained(), 5_000, 'the relay to drain');
      sessions.close();
    }
  });
});

describe('relay limits on connections still sending their PDU (stub policy)', { timeout: 30_000 }, () => {
  it('a PDU sent a byte at a time is cut at its deadline; one address is capped; another still gets through', async () => {
    const records: AuditEvent[] = [];
    const audit: AuditSink = { record: (event) => void records.push(event) };
    const sessions = new SessionRegistry({ audit, logger: silentLogger });
    const tokens: string[] = [];
    const policy: RelayPolicy = {
      authorize: (token) => {
        tokens.push(token);
        return Promise.reject(new RelayRefusal('token', 'malformed', 'stub'));
      },
    };
    const relay = new RelayServer({
      policy,
      connector: createConnector({ logger: silentLogger, wake: () => undefined }),
      sessions,
      audit,
      logger: silentLogger,
      limits: () => LimitsSchema.parse({ relayPduSeconds: 1, maxPendingRelayConnectionsPerAddress: 3 }),
    });
    const address = await relay.listen('127.0.0.1', 0);
    const clients: RelayClient[] = [];
    try {
      const pdu = encodePreconnectionPdu('slow-token');
      const started = Date.now();
      for (let i = 0; i < 6; i++) clients.push(await RelayClient.open(address.port, pdu.subarray(0, 1), '127.0.0.2'));
      const timers = clients.map((client) => {
        let sent = 1;
        return setInterval(() => {
          if (sent < pdu.length && !client.socket.destroyed) client.socket.write(pdu.subarray(sent, ++sent));
        }, 50);
      });
      try {
        // Three over the cap are dropped at once; the three held are cut at the 1 s deadline despite the bytes.
        await within(Promise.race(clients.map((client) => client.closed)), 500, 'the first drop over the cap');
        const legit = await RelayClient.open(address.port, pcb('legit-token'), '127.0.0.1');
        await legit.waitClosed();
        assert.deepEqual(tokens, ['legit-token']);
        await Promise.all(clients.map((client) => client.waitClosed(1_000 + 4_000)));
        assert.ok(Date.now() - started >= 950);
      } finally {
        for (const timer of timers) clearInterval(timer);
      }
      const timeouts = records.filter((record) => record.failure === 'timeout');
      assert.equal(timeouts.length, 3, JSON.stringify(records));
    } finally {
      for (const client of clients) client.socket.destroy();
      relay.stopAccepting();
      relay.terminateAll('shutdown');
      await within(relay.drained(), 5_000, 'the relay to drain');
      sessions.close();
    }
  });
});
