/**
 * Malformed input against the real gateway. Each case ends only the offending tunnel, with the protocol's error
 * (an MS-TSGU error packet, or a WebSocket close code), while a second tunnel opened before keeps echoing
 * throughout, and the gateway goes on serving new tunnels.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HResult, PacketType } from '../../main/gateway/tsgu/constants.ts';
import type { SessionEndReason, SessionInfo } from '../../shared/model/sessions.ts';
import { hex32, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer } from '../helpers/targets.ts';
import { Opcode, TsguClient, openTunnel, type CloseInfo } from '../helpers/tsgu-client.ts';

/** A packet header (HTTP_PACKET_HEADER) followed by `body`, with `packetLength` as given (true or not). */
function rawPacket(packetType: number, packetLength: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(packetType, 0);
  header.writeUInt32LE(packetLength, 4);
  return Buffer.concat([header, body]);
}

/** A tunnel that echoes round after round in the background until stopped; bounded in rounds and time. */
class Bystander {
  rounds = 0;
  #stop = false;
  readonly #done: Promise<void>;

  constructor(readonly client: TsguClient) {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!this.#stop && this.rounds < 100_000 && Date.now() < deadline) {
      const payload = randomBytes(1024);
      this.client.sendData(payload);
      assert.deepEqual(await this.client.readData(payload.length), payload);
      this.rounds++;
    }
  }

  /** Waits until `n` more rounds than now have completed (proves the tunnel is alive at this point). */
  async moreRounds(n: number): Promise<void> {
    const target = this.rounds + n;
    const deadline = Date.now() + 5_000;
    while (this.rounds < target) {
      assert.ok(Date.now() < deadline, `the bystander tunnel stalled at ${this.rounds} rounds`);
      await Promise.race([this.#done, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
    assert.equal(await this.client.closeChannel(), HResult.S_OK);
  }
}

describe('malformed input ends only the offending tunnel', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let sink: TargetServer;
  let token: string;
  let bystander: Bystander;

  before(async () => {
    gateway = await startTestGateway();
    echo = await TargetServer.start({ mode: 'echo' });
    sink = await TargetServer.start({ mode: 'sink' });
    await gateway.addHost({ name: 'echo', port: echo.port });
    await gateway.addHost({ name: 'sink', port: sink.port });
    ({ token } = await gateway.token(['echo', 'sink']));
    bystander = new Bystander(await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port }));
  });

  after(async () => {
    await bystander.stop();
    // The gateway keeps serving: a fresh tunnel after all the abuse works.
    const fresh = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    fresh.sendData(Buffer.from('still serving'));
    assert.equal((await fresh.readData(13)).toString(), 'still serving');
    assert.equal(await fresh.closeChannel(), HResult.S_OK);
    await gateway.dispose();
    await echo.close();
    await sink.close();
  });

  /** Opens a victim tunnel to the echo target and resolves its session id. */
  async function openVictim(clientName: string): Promise<{ client: TsguClient; sessionId: string }> {
    const started = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('start', (info) => {
        if (info.clientName !== clientName) return;
        off();
        resolve(info);
      });
    });
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port }, clientName);
    client.sendData(Buffer.from('victim alive'));
    assert.equal((await client.readData(12)).toString(), 'victim alive');
    return { client, sessionId: (await started).id };
  }

  /** The victim's end: its close info, the session's end reason and the audit line; the bystander echoes on. */
  async function assertVictimEnded(
    client: TsguClient,
    sessionId: string,
    expected: { code: number; reason: SessionEndReason },
  ): Promise<CloseInfo> {
    const info = await client.waitClosed();
    assert.equal(info.code, expected.code, `WebSocket close code (${info.reason})`);
    const record = await gateway.waitForAudit((line) => line.event === 'tunnel.end' && line.session === sessionId);
    assert.equal(record.reason, expected.reason);
    assert.equal(gateway.service.sessions.get(sessionId), undefined);
    await bystander.moreRounds(5);
    return info;
  }

  it('a packetLength below the 8-byte header: CLOSE_CHANNEL with E_PROXY_INTERNALERROR', async () => {
    const { client, sessionId } = await openVictim('SHORTLEN');
    client.sendRaw(rawPacket(PacketType.DATA, 4));
    assert.deepEqual(await client.nextPacket(), { type: 'close-channel', statusCode: HResult.E_PROXY_INTERNALERROR });
    await assertVictimEnded(client, sessionId, { code: 1000, reason: 'protocol-error' });
  });

  it('a packetLength above the limit: CLOSE_CHANNEL with E_PROXY_INTERNALERROR, before any body is read', async () => {
    const { client, sessionId } = await openVictim('LONGLEN');
    client.sendRaw(rawPacket(PacketType.DATA, 0x7fff_ffff));
    assert.deepEqual(await client.nextPacket(), { type: 'close-channel', statusCode: HResult.E_PROXY_INTERNALERROR });
    await assertVictimEnded(client, sessionId, { code: 1000, reason: 'protocol-error' });
  });

  it('a truncated packet completed by garbage: CLOSE_CHANNEL with E_PROXY_INTERNALERROR', async () => {
    const { client, sessionId } = await openVictim('TRUNCATED');
    // DATA claiming 100 bytes in all but cbDataLen 200; only its first 20 bytes in this frame.
    const cbDataLen = Buffer.alloc(2);
    cbDataLen.writeUInt16LE(200, 0);
    client.sendRaw(rawPacket(PacketType.DATA, 100, Buffer.concat([cbDataLen, Buffer.alloc(10, 0x41)])));
    client.sendRaw(Buffer.alloc(200, 0xff));
    assert.deepEqual(await client.nextPacket(), { type: 'close-channel', statusCode: HResult.E_PROXY_INTERNALERROR });
    await assertVictimEnded(client, sessionId, { code: 1000, reason: 'protocol-error' });
    const echoed = echo.connections.find(
      (connection) => connection.bytesReceived === 12 && connection.socket.destroyed,
    );
    assert.ok(echoed, 'no garbage reached the target');
  });

  it('a second HANDSHAKE_REQUEST in an open channel: HANDSHAKE_RESPONSE with E_PROXY_INTERNALERROR', async () => {
    const { client, sessionId } = await openVictim('REHANDSHAKE');
    client.sendPacket({ type: 'handshake-request', verMajor: 1, verMinor: 0, clientVersion: 0, extendedAuth: 2 });
    const response = await client.expectPacket('handshake-response');
    assert.equal(response.errorCode, HResult.E_PROXY_INTERNALERROR);
    await assertVictimEnded(client, sessionId, { code: 1000, reason: 'protocol-error' });
  });

  it('a text frame: WebSocket close 1003, recorded as a transport error', async () => {
    const { client, sessionId } = await openVictim('TEXTFRAME');
    client.sendFrame({ opcode: Opcode.TEXT, payload: Buffer.from('hello') });
    const info = await assertVictimEnded(client, sessionId, { code: 1003, reason: 'transport-error' });
    assert.equal(info.closeFrameReceived, true);
  });

  it('an unmasked client frame: WebSocket close 1002', async () => {
    const { client, sessionId } = await openVictim('UNMASKED');
    client.sendFrame({ opcode: Opcode.BINARY, payload: Buffer.from('x'), mask: false });
    await assertVictimEnded(client, sessionId, { code: 1002, reason: 'transport-error' });
  });

  it('a frame larger than the largest packet: WebSocket close 1009', async () => {
    const { client, sessionId } = await openVictim('BIGFRAME');
    client.sendRaw(Buffer.alloc(256 * 1024));
    await assertVictimEnded(client, sessionId, { code: 1009, reason: 'transport-error' });
  });

  it('CHANNEL_CREATE before TUNNEL_CREATE: CHANNEL_RESPONSE with E_PROXY_INTERNALERROR, nothing dialled', async () => {
    const audit = await gateway.auditFromNow();
    const accepted = sink.acceptCount;
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      assert.equal((await client.handshake()).errorCode, HResult.S_OK);
      const response = await client.createChannel(['sink'], sink.port);
      assert.deepEqual(response, { type: 'channel-response', errorCode: HResult.E_PROXY_INTERNALERROR });
      assert.equal((await client.waitClosed()).code, 1000);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.reason, 'protocol-error');
      assert.equal(record.stage, 'awaiting-tunnel-create');
      assert.equal(record.hresult, hex32(HResult.E_PROXY_INTERNALERROR));
      assert.equal(sink.acceptCount, accepted, 'nothing was dialled');
      await bystander.moreRounds(5);
    } finally {
      client.destroy();
    }
  });

  it('DATA before the channel is open ends the tunnel without dialling', async () => {
    const audit = await gateway.auditFromNow();
    const accepted = sink.acceptCount;
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      await client.handshake();
      await client.createTunnel(token);
      await client.authorizeTunnel('EARLYDATA');
      client.sendData(Buffer.from('too early'));
      assert.equal((await client.waitClosed()).code, 1000);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.reason, 'protocol-error');
      assert.equal(record.stage, 'awaiting-channel-create');
      assert.equal(sink.acceptCount, accepted, 'nothing was dialled');
      await bystander.moreRounds(5);
    } finally {
      client.destroy();
    }
  });

  it('a truncated handshake and a dropped connection leave no session and no target connection', async () => {
    const accepted = sink.acceptCount;
    const client = await TsguClient.connect(gateway.clientOptions());
    const audit = await gateway.auditFromNow();
    client.sendRaw(rawPacket(PacketType.HANDSHAKE_REQUEST, 14, Buffer.from([1])));
    client.destroy();
    const record = await audit((line) => line.event === 'tunnel.refused');
    assert.equal(record.reason, 'client-closed');
    assert.equal(sink.acceptCount, accepted);
    await bystander.moreRounds(5);
  });
});
