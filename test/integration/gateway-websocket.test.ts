/**
 * MS-TSGU over WebSocket against the real gateway (`startGateway`) on loopback: a full tunnel to an echo target,
 * bulk data both ways, the session registry and audit log, and every way a channel ends.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeClientPacket, encodePaaCookie } from '../helpers/tsgu-codec.ts';
import { ExtendedAuth, HResult, MAX_DATA_PAYLOAD_BYTES, TunnelRedir } from '../../main/gateway/tsgu/constants.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { startEchoGateway, stopEchoGateway, type TestGateway } from '../helpers/gateway.ts';
import { PatternSource, TargetServer } from '../helpers/targets.ts';
import { TsguClient, openTunnel } from '../helpers/tsgu-client.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Resolves with the first event of `kind` that matches, bounded in time. */
function nextSessionEvent(
  gateway: TestGateway,
  kind: 'start' | 'update' | 'end',
  predicate: (info: SessionInfo) => boolean,
  timeoutMs = 5_000,
): Promise<SessionInfo> {
  return new Promise((resolve, reject) => {
    const off = gateway.service.sessions.on(kind, (info) => {
      if (!predicate(info)) return;
      clearTimeout(timer);
      off();
      resolve(info);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching session '${kind}' event within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

describe('MS-TSGU over WebSocket, end to end on loopback', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;
  let tokenId: string;

  before(async () => {
    ({ gateway, echo, token, tokenId } = await startEchoGateway());
  });

  after(() => stopEchoGateway({ gateway, echo }));

  const openEcho = (clientName?: string): Promise<TsguClient> =>
    openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port }, clientName);

  it('verifies the gateway certificate and walks the FreeRDP sequence with the expected answers', async () => {
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      assert.equal(client.authorized, true, 'the certificate chains to service.tls.caCertPem for "localhost"');
      assert.deepEqual(await client.handshake(), {
        type: 'handshake-response',
        errorCode: HResult.S_OK,
        verMajor: 1,
        verMinor: 0,
        serverVersion: 0,
        extendedAuth: ExtendedAuth.PAA,
      });
      const tunnel = await client.createTunnel(token);
      assert.equal(tunnel.statusCode, HResult.S_OK);
      assert.ok(tunnel.tunnelId !== undefined && tunnel.tunnelId !== 0, 'a non-zero tunnel id');
      const auth = await client.authorizeTunnel('TESTPC');
      assert.equal(auth.errorCode, HResult.S_OK);
      assert.equal(auth.redirFlags, TunnelRedir.ENABLE_ALL);
      assert.equal(auth.idleTimeoutMinutes, 0);
      const channel = await client.createChannel(['echo'], echo.port);
      assert.deepEqual(channel, { type: 'channel-response', errorCode: HResult.S_OK, channelId: 1 });

      client.sendData(Buffer.from('hello, gateway'));
      assert.equal((await client.readData(14)).toString(), 'hello, gateway');
      assert.deepEqual(client.violations, []);
    } finally {
      await client.close();
    }
  });

  it('carries 4 MiB of random bytes both ways intact, in DATA packets of at most 65535 bytes', async () => {
    const client = await openEcho();
    try {
      const payload = randomBytes(4 * 1024 * 1024);
      const [, echoed] = await Promise.all([
        client.writeData(payload, 10_000),
        client.readData(payload.length, 15_000),
      ]);
      assert.equal(sha256(echoed), sha256(payload));
      assert.equal(client.dataBytesSent, payload.length);
      assert.ok(client.largestDataPayloadReceived <= MAX_DATA_PAYLOAD_BYTES);
      assert.ok(
        (client.packetsReceived.get('data') ?? 0) >= Math.ceil(payload.length / MAX_DATA_PAYLOAD_BYTES),
        'the gateway splits the stream into DATA packets',
      );
      assert.deepEqual(client.violations, [], 'one complete packet per binary message, no empty DATA');
      assert.equal(await client.closeChannel(), HResult.S_OK);
    } finally {
      await client.close();
    }
  });

  it('lists the session, fires start/update/end and audits tunnel.connect and tunnel.end', async () => {
    const started = nextSessionEvent(gateway, 'start', (info) => info.clientName === 'SESSIONPC');
    const client = await openEcho('SESSIONPC');
    const start = await started;
    const listed = gateway.service.sessions.list().find((info) => info.id === start.id);
    assert.ok(listed, 'the open session is listed');
    assert.equal(listed.transport, 'websocket');
    assert.equal(listed.host, 'echo');
    assert.equal(listed.tokenId, tokenId);
    assert.equal(listed.clientAddress, client.socket.localAddress);
    assert.equal(listed.clientName, 'SESSIONPC');
    assert.equal(listed.target, `127.0.0.1:${echo.port}`);

    const bytes = 100_000;
    const updated = nextSessionEvent(
      gateway,
      'update',
      (info) => info.id === start.id && info.bytesToTarget === bytes && info.bytesToClient === bytes,
    );
    await client.writeData(randomBytes(bytes));
    await client.readData(bytes);
    await updated;
    const live = gateway.service.sessions.get(start.id);
    assert.equal(live?.bytesToTarget, bytes);
    assert.equal(live?.bytesToClient, bytes);

    const ended = nextSessionEvent(gateway, 'end', (info) => info.id === start.id);
    assert.equal(await client.closeChannel(), HResult.S_OK);
    const end = await ended;
    assert.equal(end.endReason, 'client-closed');
    assert.equal(end.bytesToTarget, bytes);
    assert.equal(end.bytesToClient, bytes);
    assert.equal((await client.waitClosed()).code, 1000, 'the gateway closes the WebSocket normally');
    assert.equal(gateway.service.sessions.get(start.id), undefined, 'an ended session is no longer listed');

    const connect = await gateway.waitForAudit(
      (record) => record.event === 'tunnel.connect' && record.session === start.id,
    );
    assert.equal(connect.transport, 'websocket');
    assert.equal(connect.host, 'echo');
    assert.equal(connect.tokenId, tokenId);
    assert.equal(connect.clientName, 'SESSIONPC');
    const endRecord = await gateway.waitForAudit(
      (record) => record.event === 'tunnel.end' && record.session === start.id,
    );
    assert.equal(endRecord.reason, 'client-closed');
    assert.equal(endRecord.bytesToTarget, bytes);
    assert.equal(endRecord.bytesToClient, bytes);
    assert.equal(typeof endRecord.durationMs, 'number');
  });

  it('when the target closes, the client gets the last bytes, then CLOSE_CHANNEL, and the session ends', async () => {
    const accepted = echo.acceptCount;
    const started = nextSessionEvent(gateway, 'start', (info) => info.clientName === 'TARGETCLOSE');
    const client = await openEcho('TARGETCLOSE');
    const { id } = await started;
    const target = await echo.connection(accepted);
    const ended = nextSessionEvent(gateway, 'end', (info) => info.id === id);

    target.socket.end('goodbye');
    assert.equal((await client.readData(7)).toString(), 'goodbye');
    assert.equal(await client.answerCloseChannel(), HResult.S_OK);
    assert.equal((await ended).endReason, 'target-closed');
    assert.equal((await client.waitClosed()).code, 1000);
    await gateway.waitForAudit((record) => record.event === 'tunnel.end' && record.session === id);
  });

  it('when the client sends CLOSE_CHANNEL, it gets CLOSE_CHANNEL_RESPONSE and the target sees the close', async () => {
    const accepted = echo.acceptCount;
    const client = await openEcho();
    const target = await echo.connection(accepted);
    client.sendData(Buffer.from('ping'));
    assert.equal((await client.readData(4)).toString(), 'ping');

    assert.equal(await client.closeChannel(), HResult.S_OK);
    assert.ok(['end', 'close'].includes(await target.ended));
    await target.closed;
    assert.equal((await client.waitClosed()).code, 1000);
  });

  it('delivers every byte sent before CLOSE_CHANNEL to a slow target', async () => {
    const sink = await TargetServer.start({ mode: 'sink', pauseOnAccept: true });
    try {
      await gateway.addHost({ name: 'slow-sink', port: sink.port });
      const { token: sinkToken } = await gateway.token(['slow-sink']);
      const client = await openTunnel(gateway.clientOptions(), sinkToken, { name: 'slow-sink', port: sink.port });
      const target = await sink.connection(0);
      const source = new PatternSource();
      const total = 4 * 1024 * 1024;
      // Queued behind a target that does not read: the gateway reaches CLOSE_CHANNEL only after the bytes before it.
      const sending = client.writeData(source.next(total), 15_000);
      const closing = sending.then(() => client.closeChannel(HResult.S_OK, 15_000));
      target.resumeReading();
      await sending;
      assert.equal(await closing, HResult.S_OK);
      await target.closed;
      assert.equal(target.bytesReceived, total, 'no bytes lost when the channel closes');
      assert.equal(target.digest(), source.digest());
      await client.waitClosed();
    } finally {
      await gateway.removeHost('slow-sink');
      await sink.close();
    }
  });

  it('delivers DATA that shares a frame with CLOSE_CHANNEL before dropping the target', async () => {
    const sink = await TargetServer.start({ mode: 'sink' });
    try {
      await gateway.addHost({ name: 'close-sink', port: sink.port });
      const { token: sinkToken } = await gateway.token(['close-sink']);
      const client = await openTunnel(gateway.clientOptions(), sinkToken, { name: 'close-sink', port: sink.port });
      const target = await sink.connection(0);
      const payload = randomBytes(5000);
      // One frame, so the gateway reads the last DATA and the close in the same event-loop turn.
      client.sendRaw(
        Buffer.concat([
          encodeClientPacket({ type: 'data', data: payload }),
          encodeClientPacket({ type: 'close-channel', statusCode: HResult.S_OK }),
        ]),
      );
      assert.equal((await client.expectPacket('close-channel-response')).statusCode, HResult.S_OK);
      await target.closed;
      assert.equal(target.bytesReceived, payload.length, 'no bytes lost when the channel closes');
      assert.equal(target.digest(), sha256(payload));
      await client.waitClosed();
    } finally {
      await gateway.removeHost('close-sink');
      await sink.close();
    }
  });

  it('an admin disconnect sends CLOSE_CHANNEL, and the answer ends the session as admin-disconnect', async () => {
    const accepted = echo.acceptCount;
    const started = nextSessionEvent(gateway, 'start', (info) => info.clientName === 'ADMINPC');
    const client = await openEcho('ADMINPC');
    const { id } = await started;
    const target = await echo.connection(accepted);
    const ended = nextSessionEvent(gateway, 'end', (info) => info.id === id);

    assert.equal(gateway.service.sessions.disconnect(id), true);
    assert.deepEqual(await client.expectPacket('service-message'), {
      type: 'service-message',
      message: 'The gateway administrator ended this session.',
    });
    // MS-TSGU: E_PROXY_CONNECTIONABORTED is the status for an administrator's forced disconnect.
    assert.equal(await client.answerCloseChannel(), HResult.E_PROXY_CONNECTIONABORTED);
    const end = await ended;
    assert.equal(end.endReason, 'admin-disconnect');
    assert.equal((await client.waitClosed()).code, 1000);
    await target.closed;
    const record = await gateway.waitForAudit((line) => line.event === 'tunnel.end' && line.session === id);
    assert.equal(record.reason, 'admin-disconnect');
    assert.equal(gateway.service.sessions.disconnect(id), false, 'an ended session cannot be disconnected again');
  });

  it('answers the client keepalive once the channel is open', async () => {
    const client = await TsguClient.connect(gateway.clientOptions({ echoKeepalives: false }));
    try {
      await client.handshake();
      await client.createTunnel(token);
      await client.authorizeTunnel('KEEPALIVE');
      await client.createChannel(['echo'], echo.port);
      client.sendPacket({ type: 'keepalive' });
      assert.equal((await client.nextPacket()).type, 'keepalive');
      client.sendData(Buffer.from('still here'));
      assert.equal((await client.readData(10)).toString(), 'still here');
    } finally {
      await client.close();
    }
  });

  it('answers a ping with a pong on the same connection and keeps the tunnel working', async () => {
    const client = await openEcho();
    try {
      // A client ping is answered by ws; our parser would flag an unsolicited or malformed control frame.
      client.sendFrame({ opcode: 0x9, payload: Buffer.from('are you there') });
      client.sendData(Buffer.from('after ping'));
      assert.equal((await client.readData(10)).toString(), 'after ping');
      assert.deepEqual(client.violations, []);
    } finally {
      await client.close();
    }
  });

  it('reassembles packets split across WebSocket frames and several packets in one frame', async () => {
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      const stream = Buffer.concat([
        encodeClientPacket({ type: 'handshake-request', verMajor: 1, verMinor: 0, clientVersion: 0, extendedAuth: 2 }),
        encodeClientPacket({ type: 'tunnel-create', capsFlags: 0x0d, paaCookie: encodePaaCookie(token) }),
        encodeClientPacket({ type: 'tunnel-auth', clientName: 'SPLITPC' }),
        encodeClientPacket({
          type: 'channel-create',
          resources: ['echo'],
          altResources: [],
          port: echo.port,
          protocol: 3,
        }),
      ]);
      // Fragments of one message (continuation frames) at odd offsets, then a frame with several packets.
      const cut = [0, 3, 9, 20, 57, stream.length];
      for (let i = 0; i + 1 < cut.length; i++) {
        client.sendFrame({
          opcode: i === 0 ? 0x2 : 0x0,
          payload: stream.subarray(cut[i], cut[i + 1]),
          fin: i + 2 === cut.length,
        });
      }
      for (const type of ['handshake-response', 'tunnel-response', 'tunnel-auth-response', 'channel-response']) {
        const packet = await client.nextPacket();
        assert.equal(packet.type, type);
      }
      client.sendData(Buffer.from('split ok'));
      assert.equal((await client.readData(8)).toString(), 'split ok');
    } finally {
      await client.close();
    }
  });
});
