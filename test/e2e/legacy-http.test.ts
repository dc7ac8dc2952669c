/**
 * End to end with real programs over the legacy two-channel HTTP transport: each client flavour (FreeRDP 2.11 with
 * `/gt:http,no-websockets`, FreeRDP 3.10 with `/gateway:…,type:http,no-websockets`, and the `auto` variants) through
 * `homegate serve` to a real RDP server (freerdp-shadow-cli under Xvfb), all on loopback. FreeRDP falls back between
 * transports silently, so every test checks in the audit log which transport the gateway really served. (`auto`
 * without `no-websockets` tries the WebSocket first, and gets it.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  attemptSession,
  correlationIdAsExpected,
  describeXfreerdpResult,
  readAuditLog,
  skipUnlessFlavour,
  startServeFixture,
  waitForAudit,
  type GatewayTransport,
  type ServeFixture,
} from './harness/index.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, SHADOW_SERVER_TOOLS);

  describe(
    `${flavour.label} through homegate serve (MS-TSGU over legacy HTTP)`,
    { skip, timeout: 4 * TEST_TIMEOUT_MS },
    () => {
      let fixture: ServeFixture;

      before(async () => {
        fixture = await startServeFixture({ flavour, name: 'legacy' });
      });

      after(async () => {
        await fixture?.stop();
      });

      const cases: { transport: GatewayTransport; served: string }[] = [
        { transport: 'legacy', served: 'http' },
        { transport: 'auto-legacy', served: 'http' },
        { transport: 'auto', served: 'websocket' },
      ];
      for (const { transport, served } of cases) {
        test(
          `transport ${transport}: a session is established over ${served}`,
          { timeout: TEST_TIMEOUT_MS },
          async () => {
            const { data, shadow } = fixture;
            const skipRecords = (await readAuditLog(data.path)).length;
            const token = await fixture.paaToken('shadow');
            const { held, result } = await attemptSession(fixture.toShadow(token, transport), {
              flavour,
              timeoutMs: CLIENT_TIMEOUT_MS,
            });
            assert.ok(held, describeXfreerdpResult(result));

            const connect = await waitForAudit(
              data.path,
              (r) => r.event === 'tunnel.connect' && r.host === 'shadow',
              skipRecords,
            );
            assert.equal(connect.transport, served, 'the transport the gateway really served');
            assert.ok(correlationIdAsExpected(flavour, connect), `correlationId: ${String(connect.correlationId)}`);
            assert.equal(connect.client, '127.0.0.1');
            assert.equal(connect.target, `127.0.0.1:${shadow.port}`);
            const end = await waitForAudit(
              data.path,
              (r) => r.event === 'tunnel.end' && r.session === connect.session,
              skipRecords,
            );
            assert.equal(end.transport, served);
            assert.ok(Number(end.bytesToTarget) > 1000, `bytes to target: ${String(end.bytesToTarget)}`);
            assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
          },
        );
      }
    },
  );
}
