/**
 * End to end: a live session of each client flavour (FreeRDP 2.11, FreeRDP 3.10) over each MS-TSGU transport (the
 * WebSocket and the legacy two-channel HTTP), through the gateway in process (harness/in-process-fixture.ts), to a
 * real RDP server: the session appears in the registry with its transport and byte counts, and ends when an admin
 * disconnects it; the client is told and exits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  describeXfreerdpResult,
  skipUnlessFlavour,
  startXfreerdp,
  withInProcessGateway,
  withTimeout,
  type GatewayTransport,
} from './harness/index.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

/** The client's transport option and what the registry and audit log call the transport the gateway served. */
const TRANSPORTS: { transport: GatewayTransport; served: SessionInfo['transport']; label: string }[] = [
  { transport: 'websocket', served: 'websocket', label: 'MS-TSGU over WebSocket' },
  { transport: 'legacy', served: 'http', label: 'MS-TSGU over legacy HTTP, both channels' },
];

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, SHADOW_SERVER_TOOLS);

  describe(
    `${flavour.label}: a live session in the registry (gateway in process)`,
    { skip, timeout: (TRANSPORTS.length + 1) * TEST_TIMEOUT_MS },
    () => {
      for (const { transport, served, label } of TRANSPORTS) {
        test(
          `${label}: appears with its transport and byte counts, and ends when an admin disconnects it`,
          { timeout: TEST_TIMEOUT_MS },
          async (t) => {
            const { gateway, toShadow } = await withInProcessGateway(t, flavour);
            const { sessions } = gateway.service;
            const started = new Promise<SessionInfo>((resolve) => sessions.on('start', resolve));
            const updated = new Promise<SessionInfo>((resolve) =>
              sessions.on('update', (info) => {
                if (info.bytesToClient > 0 && info.bytesToTarget > 0) resolve(info);
              }),
            );
            const ended = new Promise<SessionInfo>((resolve) => sessions.on('end', resolve));

            const client = await startXfreerdp(toShadow(transport), { flavour });
            t.after(() => client.stop());
            await client.waitForActive(CLIENT_TIMEOUT_MS);

            const session = await withTimeout(started, 5_000, 'the session start event');
            assert.equal(session.transport, served);
            assert.equal(session.host, 'shadow');
            assert.equal(session.clientAddress, '127.0.0.1');
            assert.ok(session.tokenId.length > 0);
            assert.deepEqual(
              sessions.list().map((s) => s.id),
              [session.id],
            );
            const live = await withTimeout(updated, 10_000, 'a session update with bytes both ways');
            assert.equal(live.id, session.id);

            assert.equal(sessions.disconnect(session.id), true);
            const final = await withTimeout(ended, 10_000, 'the session end event');
            assert.equal(final.endReason, 'admin-disconnect');
            const exit = await client.waitForExit(10_000);
            // Told why: the service message (FreeRDP advertises it), then CLOSE_CHANNEL(E_PROXY_CONNECTIONABORTED),
            // which FreeRDP records as its last error; the gateway then closes and the client exits as for a lost
            // connection.
            assert.equal(exit.exitCode, flavour.exitOnGatewayClose, describeXfreerdpResult(exit));
            assert.ok(
              flavour.serviceMessageShown(exit, 'The gateway administrator ended this session.'),
              describeXfreerdpResult(exit),
            );
            assert.ok(flavour.closeStatusLogged(exit, 0x4d4), describeXfreerdpResult(exit));
            assert.equal(sessions.size, 0);
          },
        );
      }
    },
  );
}
