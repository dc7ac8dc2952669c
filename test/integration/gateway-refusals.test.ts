/**
 * Every refusal against the real gateway: the exact HRESULT in the response to the refused step, the gateway
 * closing the connection afterwards (FreeRDP ignores an error code alone), a `tunnel.refused` audit line — and
 * nothing dialled: the target behind the allowed host never sees a connection.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ExtendedAuth, HResult } from '../../main/gateway/tsgu/constants.ts';
import type { SigningKey } from '../../main/security/signing-key.ts';
import { foreignSigningKey, hex32, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer, unusedPort } from '../helpers/targets.ts';
import { TsguClient } from '../helpers/tsgu-client.ts';

describe('refusals', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let foreignKey: SigningKey;
  let desk: TargetServer;
  let other: TargetServer;

  before(async () => {
    gateway = await startTestGateway();
    foreignKey = await foreignSigningKey();
  });

  after(() => gateway.dispose());

  // Fresh targets per test, so "nothing was dialled" is that test's own count.
  beforeEach(async () => {
    desk = await TargetServer.start({ mode: 'sink' });
    other = await TargetServer.start({ mode: 'sink' });
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      hosts: [
        { name: 'desk', address: '127.0.0.1', port: desk.port },
        { name: 'other', address: '127.0.0.1', port: other.port },
      ],
    }));
  });

  afterEach(async () => {
    await desk.close();
    await other.close();
  });

  /** Asserts the gateway ends the connection after a refusal, and that no target was dialled. */
  async function assertClosedAndNothingDialled(client: TsguClient): Promise<void> {
    const info = await client.waitClosed();
    assert.equal(info.closeFrameReceived, true, 'the gateway closes the WebSocket itself');
    assert.equal(info.code, 1000);
    assert.equal(desk.acceptCount, 0, 'nothing was dialled');
    assert.equal(other.acceptCount, 0, 'nothing was dialled');
    assert.equal(gateway.service.sessions.size, 0, 'no session was opened');
  }

  /** Handshake, then TUNNEL_CREATE with `token`; expects the tunnel response to carry `hresult`. */
  async function refusedAtTunnelCreate(token: string, failure: string): Promise<void> {
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      assert.equal((await client.handshake()).errorCode, HResult.S_OK);
      const response = await client.createTunnel(token);
      assert.deepEqual(response, {
        type: 'tunnel-response',
        serverVersion: 0,
        statusCode: HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
      });
      await assertClosedAndNothingDialled(client);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.hresult, hex32(HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED));
      assert.equal(record.stage, 'awaiting-tunnel-create');
      assert.equal(record.reason, 'refused');
      assert.equal(record.transport, 'websocket');
      assert.match(String(record.detail), new RegExp(`^${failure}:`));
    } finally {
      client.destroy();
    }
  }

  /** The whole sequence up to CHANNEL_CREATE; expects the channel response to carry `hresult`. */
  async function refusedAtChannelCreate(
    token: string,
    request: { name: string; port: number },
    hresult: number,
    failure: string,
  ): Promise<void> {
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      assert.equal((await client.handshake()).errorCode, HResult.S_OK);
      assert.equal((await client.createTunnel(token)).statusCode, HResult.S_OK);
      assert.equal((await client.authorizeTunnel('REFUSEDPC')).errorCode, HResult.S_OK);
      const response = await client.createChannel([request.name], request.port);
      assert.deepEqual(response, { type: 'channel-response', errorCode: hresult });
      await assertClosedAndNothingDialled(client);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.hresult, hex32(hresult));
      assert.equal(record.stage, 'awaiting-channel-create');
      assert.match(String(record.detail), new RegExp(`^${failure}:`));
      assert.equal(typeof record.tokenId, 'string', 'the token id is audited once the token was good');
    } finally {
      client.destroy();
    }
  }

  it('a garbage token: E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED', async () => {
    await refusedAtTunnelCreate('this-is-not-a-token', 'malformed');
  });

  it('an expired token', async () => {
    const { token } = await gateway.token(['desk'], { now: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 60 });
    await refusedAtTunnelCreate(token, 'expired');
  });

  it('a token minted for another gateway id', async () => {
    const { token } = await gateway.token(['desk'], { gatewayId: '00000000-0000-4000-8000-000000000000' });
    await refusedAtTunnelCreate(token, 'wrong-gateway');
  });

  it('a token signed by a key the gateway does not know', async () => {
    const { token } = await gateway.token(['desk'], { signer: foreignKey });
    await refusedAtTunnelCreate(token, 'unknown-key');
  });

  it('a token signed by another key under this gateway key id (forged signature)', async () => {
    const signer = { kid: gateway.service.context.signingKey.kid, alg: 'EdDSA', privateKey: foreignKey.privateKey };
    const { token } = await gateway.token(['desk'], { signer });
    await refusedAtTunnelCreate(token, 'bad-signature');
  });

  it('a TUNNEL_CREATE without a PAA cookie', async () => {
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      await client.handshake();
      client.sendPacket({ type: 'tunnel-create', capsFlags: 0x0d });
      const response = await client.expectPacket('tunnel-response');
      assert.equal(response.statusCode, HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
      await assertClosedAndNothingDialled(client);
      await audit((line) => line.event === 'tunnel.refused' && line.stage === 'awaiting-tunnel-create');
    } finally {
      client.destroy();
    }
  });

  it('a malformed PAA cookie (odd byte count): E_PROXY_COOKIE_BADPACKET', async () => {
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      await client.handshake();
      client.sendPacket({ type: 'tunnel-create', capsFlags: 0x0d, paaCookie: Buffer.from([0x61, 0x00, 0x62]) });
      const response = await client.expectPacket('tunnel-response');
      assert.equal(response.statusCode, HResult.E_PROXY_COOKIE_BADPACKET);
      await assertClosedAndNothingDialled(client);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.hresult, hex32(HResult.E_PROXY_COOKIE_BADPACKET));
    } finally {
      client.destroy();
    }
  });

  it('a token for another host: E_PROXY_RAP_ACCESSDENIED, nothing dialled', async () => {
    const { token } = await gateway.token(['other']);
    await refusedAtChannelCreate(
      token,
      { name: 'desk', port: desk.port },
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-in-token',
    );
  });

  it('a host that is not on the allowlist, even when the token names it', async () => {
    const { token } = await gateway.token(['ghost']);
    await refusedAtChannelCreate(
      token,
      { name: 'ghost', port: desk.port },
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
  });

  it('an allowed host on the wrong port', async () => {
    const { token } = await gateway.token(['desk']);
    await refusedAtChannelCreate(
      token,
      { name: 'desk', port: desk.port === 65_535 ? 1 : desk.port + 1 },
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
  });

  it("an address other than the allowed host's configured one", async () => {
    const { token } = await gateway.token(['desk']);
    await refusedAtChannelCreate(
      token,
      { name: '127.0.0.2', port: desk.port },
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
  });

  it('an allowed host that does not answer: E_PROXY_TS_CONNECTFAILED', async () => {
    const deadPort = await unusedPort();
    await gateway.addHost({ name: 'dead', port: deadPort });
    const { token } = await gateway.token(['dead']);
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      await client.handshake();
      await client.createTunnel(token);
      await client.authorizeTunnel('REFUSEDPC');
      const response = await client.createChannel(['dead'], deadPort);
      assert.deepEqual(response, { type: 'channel-response', errorCode: HResult.E_PROXY_TS_CONNECTFAILED });
      await assertClosedAndNothingDialled(client);
      const record = await audit((line) => line.event === 'tunnel.refused');
      assert.equal(record.host, 'dead');
      assert.match(String(record.detail), /^refused:/);
    } finally {
      client.destroy();
    }
  });

  for (const [name, extendedAuth] of [
    ['no extended authentication', ExtendedAuth.NONE],
    ['SSPI_NTLM only', ExtendedAuth.SSPI_NTLM],
  ] as const) {
    it(`a handshake offering ${name}: E_PROXY_CAPABILITYMISMATCH`, async () => {
      const audit = await gateway.auditFromNow();
      const client = await TsguClient.connect(gateway.clientOptions());
      try {
        assert.deepEqual(await client.handshake(extendedAuth), {
          type: 'handshake-response',
          errorCode: HResult.E_PROXY_CAPABILITYMISMATCH,
          verMajor: 0,
          verMinor: 0,
          serverVersion: 0,
          extendedAuth: ExtendedAuth.NONE,
        });
        await assertClosedAndNothingDialled(client);
        const record = await audit((line) => line.event === 'tunnel.refused');
        assert.equal(record.stage, 'awaiting-handshake');
        assert.equal(record.hresult, hex32(HResult.E_PROXY_CAPABILITYMISMATCH));
      } finally {
        client.destroy();
      }
    });
  }

  it('after refusals the gateway still opens a good tunnel', async () => {
    const { token } = await gateway.token(['desk']);
    const client = await TsguClient.connect(gateway.clientOptions());
    try {
      await client.handshake();
      await client.createTunnel(token);
      await client.authorizeTunnel('GOODPC');
      assert.equal((await client.createChannel(['desk'], desk.port)).errorCode, HResult.S_OK);
      const target = await desk.connection(0);
      client.sendData(Buffer.from('fine'));
      await target.waitForBytes(4);
      assert.equal(await client.closeChannel(), HResult.S_OK);
    } finally {
      await client.close();
    }
  });
});
