/**
 * Forwarded client addresses through the real gateway: `X-Forwarded-For` / `Forwarded` from a peer that is not a
 * trusted proxy are ignored; from a trusted one, the client they name is what the session registry and the audit log
 * record — over the legacy transport (TLS and the plain listener) and over WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { openLegacyTunnel, type LegacyClientOptions } from '../helpers/legacy-client.ts';
import { TargetServer } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';

describe('forwarded client addresses', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;

  before(async () => {
    gateway = await startTestGateway({ plain: true });
    echo = await TargetServer.start({ mode: 'echo' });
    await gateway.addHost({ name: 'echo', port: echo.port });
    ({ token } = await gateway.token(['echo'], { ttlSeconds: 600 }));
  });

  after(async () => {
    await gateway.dispose();
    await echo.close();
  });

  async function setForwarding(trustedProxies: string[], forwardedHeader: 'x-forwarded-for' | 'forwarded') {
    await gateway.service.context.settings.update((s) => ({
      ...s,
      http: { ...s.http, trustedProxies, forwardedHeader },
    }));
  }

  const legacyOptions = (plain: boolean, extraHeaders: string[]): LegacyClientOptions =>
    plain
      ? { host: '127.0.0.1', port: gateway.service.plainAddress?.port ?? 0, plain: true, extraHeaders }
      : { host: '127.0.0.1', port: gateway.port, ca: gateway.service.tls.caCertPem, extraHeaders };

  /** Opens a tunnel with `transport`, sends a byte through it, closes it; returns the session and its audit lines. */
  async function tunnelWith(
    transport: 'legacy-tls' | 'legacy-plain' | 'websocket',
    extraHeaders: string[],
  ): Promise<{ session: SessionInfo; connectClient: unknown; endClient: unknown }> {
    const waitForAudit = await gateway.auditFromNow();
    const started = new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('start', (info) => {
        off();
        resolve(info);
      });
    });
    const target = { name: 'echo', port: echo.port };
    if (transport === 'websocket') {
      const client = await openTunnel(gateway.clientOptions({ extraHeaders }), token, target);
      client.sendData(Buffer.from('x'));
      await client.readData(1);
      await client.closeChannel();
      await client.close();
    } else {
      const client = await openLegacyTunnel(legacyOptions(transport === 'legacy-plain', extraHeaders), token, target);
      client.sendData(Buffer.from('x'));
      await client.readData(1);
      await client.closeChannel();
      await client.waitClosed();
      client.destroy();
    }
    const session = await started;
    const connect = await waitForAudit((r) => r.event === 'tunnel.connect' && r.session === session.id);
    const end = await waitForAudit((r) => r.event === 'tunnel.end' && r.session === session.id);
    return { session, connectClient: connect.client, endClient: end.client };
  }

  for (const transport of ['legacy-tls', 'legacy-plain', 'websocket'] as const) {
    describe(transport, () => {
      it('from an untrusted peer, X-Forwarded-For and Forwarded are ignored', async () => {
        await setForwarding([], 'x-forwarded-for');
        const result = await tunnelWith(transport, ['X-Forwarded-For: 203.0.113.7', 'Forwarded: for=203.0.113.8']);
        assert.equal(result.session.clientAddress, '127.0.0.1');
        assert.equal(result.connectClient, '127.0.0.1');
        assert.equal(result.endClient, '127.0.0.1');
      });

      it('a peer outside the trusted ranges is still untrusted', async () => {
        await setForwarding(['10.0.0.0/8', '::1'], 'x-forwarded-for');
        const result = await tunnelWith(transport, ['X-Forwarded-For: 203.0.113.7']);
        assert.equal(result.connectClient, '127.0.0.1');
      });

      it('from a trusted proxy, the right-most untrusted X-Forwarded-For address is recorded', async () => {
        await setForwarding(['127.0.0.0/8'], 'x-forwarded-for');
        const result = await tunnelWith(transport, ['X-Forwarded-For: 10.66.66.66, 203.0.113.7']);
        assert.equal(result.session.clientAddress, '203.0.113.7');
        assert.equal(result.connectClient, '203.0.113.7');
        assert.equal(result.endClient, '203.0.113.7');
      });

      it('from a trusted proxy configured for Forwarded, its for= is recorded (IPv6, canonical)', async () => {
        await setForwarding(['127.0.0.1'], 'forwarded');
        const result = await tunnelWith(transport, [
          'X-Forwarded-For: 198.51.100.1',
          'Forwarded: for="[2001:DB8:0::17]:4711";proto=https',
        ]);
        assert.equal(result.connectClient, '2001:db8::17');
      });
    });
  }
});
