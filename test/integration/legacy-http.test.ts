/**
 * MS-TSGU over the legacy two-channel HTTP transport against the real gateway (`startGateway`) on loopback: full
 * tunnels to an echo target with data both ways (TLS, the plain listener, the IN request on a new connection as a
 * proxy sends it), chunk boundaries that do not match packets, refusals and every way a legacy tunnel ends.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeClientPacket, encodePaaCookie } from '../helpers/tsgu-codec.ts';
import { ExtendedAuth, HResult } from '../../main/gateway/tsgu/constants.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { startEchoGateway, stopEchoGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  LegacyTsguClient,
  SEED_BYTES,
  chunk,
  openLegacyTunnel,
  type LegacyClientOptions,
} from '../helpers/legacy-client.ts';
import type { TargetServer } from '../helpers/targets.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('MS-TSGU over legacy HTTP, end to end on loopback', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;
  let tokenId: string;

  before(async () => {
    ({ gateway, echo, token, tokenId } = await startEchoGateway({ plain: true }));
  });

  after(() => stopEchoGateway({ gateway, echo }));

  const tlsOptions = (overrides: Partial<LegacyClientOptions> = {}): LegacyClientOptions => ({
    host: '127.0.0.1',
    port: gateway.port,
    ca: gateway.service.tls.caCertPem,
    ...overrides,
  });
  const plainOptions = (overrides: Partial<LegacyClientOptions> = {}): LegacyClientOptions => ({
    host: '127.0.0.1',
    port: gateway.service.plainAddress?.port ?? 0,
    plain: true,
    ...overrides,
  });

  /** Opens a tunnel, echoes `size` random bytes through it both ways, closes it as FreeRDP does. */
  async function echoThrough(options: LegacyClientOptions, size: number): Promise<SessionInfo> {
    const ended = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('end', (info) => {
        off();
        resolve(info);
      });
    });
    const client = await openLegacyTunnel(options, token, { name: 'echo', port: echo.port });
    try {
      const payload = randomBytes(size);
      const [back] = await Promise.all([client.readData(size, 10_000), client.writeData(payload)]);
      assert.equal(sha256(back), sha256(payload), 'the echo came back intact');
      assert.equal(await client.closeChannel(), HResult.S_OK);
      await client.waitClosed();
    } finally {
      client.destroy();
    }
    return ended;
  }

  it('walks the FreeRDP sequence: 10 seed bytes on OUT, then the usual answers', async () => {
    const client = await LegacyTsguClient.connect(tlsOptions());
    try {
      assert.equal(client.seed.length, SEED_BYTES);
      const handshake = await client.handshake();
      assert.equal(handshake.errorCode, HResult.S_OK);
      assert.equal((await client.createTunnel(token)).statusCode, HResult.S_OK);
      assert.equal((await client.authorizeTunnel('LEGACYPC')).errorCode, HResult.S_OK);
      assert.equal((await client.createChannel(['echo'], echo.port)).errorCode, HResult.S_OK);
      assert.equal(await client.closeChannel(), HResult.S_OK);
      await client.waitClosed();
    } finally {
      client.destroy();
    }
  });

  it('carries 2 MiB both ways over TLS, recorded as transport "http" for the client address', async () => {
    const waitForAudit = await gateway.auditFromNow();
    const session = await echoThrough(tlsOptions(), 2 * 1024 * 1024);
    assert.equal(session.transport, 'http');
    assert.equal(session.clientAddress, '127.0.0.1');
    assert.equal(session.clientName, 'LEGACYPC');
    assert.equal(session.tokenId, tokenId);
    assert.equal(session.bytesToTarget, 2 * 1024 * 1024);
    assert.equal(session.bytesToClient, 2 * 1024 * 1024);
    assert.equal(session.endReason, 'client-closed');
    const connect = await waitForAudit((r) => r.event === 'tunnel.connect' && r.session === session.id);
    assert.equal(connect.transport, 'http');
    assert.equal(connect.client, '127.0.0.1');
    const end = await waitForAudit((r) => r.event === 'tunnel.end' && r.session === session.id);
    assert.equal(end.transport, 'http');
  });

  it('works on the plain-HTTP listener (behind a TLS-terminating proxy)', async () => {
    const session = await echoThrough(plainOptions(), 256 * 1024);
    assert.equal(session.transport, 'http');
  });

  it('accepts the chunked IN request on a new connection, as a proxy without upstream keep-alive sends it', async () => {
    const session = await echoThrough(plainOptions({ secondInOnNewConnection: true }), 128 * 1024);
    assert.equal(session.transport, 'http');
    const viaTls = await echoThrough(tlsOptions({ secondInOnNewConnection: true }), 1024);
    assert.equal(viaTls.transport, 'http');
  });

  it('chunk boundaries need not match packets: packets split across chunks and several in one chunk', async () => {
    const client = await LegacyTsguClient.connect(tlsOptions());
    try {
      const handshake = encodeClientPacket({
        type: 'handshake-request',
        verMajor: 1,
        verMinor: 0,
        clientVersion: 0,
        extendedAuth: ExtendedAuth.PAA,
      });
      // The handshake request in three chunks of 5, 1 and 8 bytes, each chunk written in two pieces.
      for (const piece of [handshake.subarray(0, 5), handshake.subarray(5, 6), handshake.subarray(6)]) {
        const framed = chunk(piece);
        client.writeIn(framed.subarray(0, 2));
        client.writeIn(framed.subarray(2));
      }
      assert.equal((await client.expectPacket('handshake-response')).errorCode, HResult.S_OK);
      // Two packets in one chunk.
      const tunnelCreate = encodeClientPacket({
        type: 'tunnel-create',
        capsFlags: 0,
        paaCookie: encodePaaCookie(token),
      });
      const tunnelAuth = encodeClientPacket({ type: 'tunnel-auth', clientName: 'SPLITPC' });
      client.writeIn(chunk(Buffer.concat([tunnelCreate, tunnelAuth])));
      assert.equal((await client.expectPacket('tunnel-response')).statusCode, HResult.S_OK);
      assert.equal((await client.expectPacket('tunnel-auth-response')).errorCode, HResult.S_OK);
      assert.equal((await client.createChannel(['echo'], echo.port)).errorCode, HResult.S_OK);
      client.sendData(Buffer.from('ping'));
      assert.equal((await client.readData(4)).toString(), 'ping');
    } finally {
      client.destroy();
    }
  });

  it('a refused token closes both channels and is audited as transport "http"; nothing is dialled', async () => {
    const waitForAudit = await gateway.auditFromNow();
    const accepted = echo.acceptCount;
    const client = await LegacyTsguClient.connect(tlsOptions());
    try {
      await client.handshake();
      await client.createTunnel('not-a-token');
      await client.waitClosed();
      const refused = await waitForAudit((r) => r.event === 'tunnel.refused');
      assert.equal(refused.transport, 'http');
      assert.equal(refused.client, '127.0.0.1');
      assert.equal(echo.acceptCount, accepted);
    } finally {
      client.destroy();
    }
  });

  it('the client dropping its OUT connection ends the session and closes IN', async () => {
    const ended = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('end', (info) => {
        off();
        resolve(info);
      });
    });
    const client = await openLegacyTunnel(tlsOptions(), token, { name: 'echo', port: echo.port });
    client.out.destroy();
    const info = await ended;
    assert.equal(info.transport, 'http');
    await client.inClosed;
  });

  it('the client dropping its IN connection ends the session and closes OUT', async () => {
    const client = await openLegacyTunnel(tlsOptions(), token, { name: 'echo', port: echo.port });
    client.in.destroy();
    await client.waitClosed();
  });

  it('a malformed chunk ends the tunnel as a transport error', async () => {
    const ended = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('end', (info) => {
        off();
        resolve(info);
      });
    });
    const client = await openLegacyTunnel(tlsOptions(), token, { name: 'echo', port: echo.port });
    try {
      client.writeIn('zz\r\n');
      const info = await ended;
      assert.equal(info.endReason, 'transport-error');
      await client.waitClosed();
    } finally {
      client.destroy();
    }
  });

  it('the gateway stopping the session closes both channels', async () => {
    const started = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('start', (info) => {
        off();
        resolve(info);
      });
    });
    const client = await openLegacyTunnel(tlsOptions(), token, { name: 'echo', port: echo.port });
    try {
      const session = await started;
      assert.equal(gateway.service.sessions.disconnect(session.id), true);
      // The gateway may say why first (a service message); the close follows.
      let packet = await client.nextPacket();
      while (packet.type !== 'close-channel') packet = await client.nextPacket();
      client.sendPacket({ type: 'close-channel-response', statusCode: HResult.S_OK });
      await client.waitClosed();
      await client.inClosed;
    } finally {
      client.destroy();
    }
  });
});
