/**
 * End to end: live sessions of each client flavour (FreeRDP 2.11, FreeRDP 3.10) through `homegate serve` that the gateway ends by itself — an
 * idle timeout and a graceful shutdown on SIGTERM. The client must be told (service message, CLOSE_CHANNEL status
 * in its log) and its process must exit; serve must exit 0 within its drain bound. The admin disconnect of a live
 * xfreerdp session is in admin-disconnect.test.ts (it needs the gateway in process).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { SHUTDOWN_DRAIN_TIMEOUT_MS, openContext } from '../../main/service.ts';
import type { LifecycleSettings } from '../../main/config/schema.ts';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  describeXfreerdpResult,
  gatewayListenAddress,
  homegateOk,
  makeTempDir,
  skipUnlessFlavour,
  startHomegateServe,
  startShadowServer,
  startXfreerdp,
  xfreerdpTarget,
  type HomegateServe,
  type ShadowServerHandle,
  waitForAudit,
  allowHost,
  attemptSession,
} from './harness/index.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;
const SERVICE_MESSAGE = 'Welcome to homegate (e2e).';
const CONSENT_MESSAGE = 'Sessions through this gateway are logged (e2e).';

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, SHADOW_SERVER_TOOLS);
  describe(
    `live ${flavour.label} sessions the gateway ends (homegate serve)`,
    { skip, timeout: 3 * TEST_TIMEOUT_MS },
    () => {
      let shadow: ShadowServerHandle;

      before(async () => {
        shadow = await startShadowServer();
      });

      after(async () => {
        await shadow?.stop();
      });

      /** A data directory with the shadow host allowed and these lifecycle settings, as a user would leave it. */
      async function dataDirWith(t: { after(fn: () => Promise<void>): void }, lifecycle: Partial<LifecycleSettings>) {
        const data = await makeTempDir('lifecycle');
        t.after(() => data.remove());
        await allowHost(data.path, 'shadow', shadow.port);
        const context = await openContext(data.path, silentLogger);
        try {
          await context.settings.update((s) => ({ ...s, lifecycle: { ...s.lifecycle, ...lifecycle } }));
        } finally {
          context.settings.close();
        }
        const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow'])).trim();
        return { data, token };
      }

      /** `homegate serve` where this flavour's command line reaches it. */
      async function startServe(dataDir: string): Promise<HomegateServe> {
        return startHomegateServe(dataDir, { listen: await gatewayListenAddress(flavour) });
      }

      function clientArgs(serve: HomegateServe, token: string): string[] {
        return [xfreerdpTarget('127.0.0.1', shadow.port), ...XFREERDP_BASE_ARGS, ...flavour.gatewayArgs(serve, token)];
      }

      test(
        'a consent message is shown at connect, and the session goes on once the user agrees',
        { timeout: TEST_TIMEOUT_MS },
        async (t) => {
          const { data, token } = await dataDirWith(t, { consentMessage: CONSENT_MESSAGE });
          const serve = await startServe(data.path);
          t.after(async () => void (await serve.stop()));
          // FreeRDP asks (Y/N) on stdin; at EOF it gives up (exit 133, test/e2e/README.md).
          const { held, result } = await attemptSession(clientArgs(serve, token), {
            flavour,
            timeoutMs: CLIENT_TIMEOUT_MS,
            stdin: 'y\n',
          });
          assert.ok(held, describeXfreerdpResult(result));
          assert.ok(flavour.consentMessageShown(result, CONSENT_MESSAGE), describeXfreerdpResult(result));
        },
      );

      test(
        'an idle session is closed with E_PROXY_SESSIONTIMEOUT and xfreerdp exits',
        { timeout: TEST_TIMEOUT_MS },
        async (t) => {
          // 0.05 minutes = 3 s. A shadow session on a static screen goes quiet about 1.5 s after reaching ACTIVE.
          const { data, token } = await dataDirWith(t, { idleTimeoutMinutes: 0.05, serviceMessage: SERVICE_MESSAGE });
          const serve = await startServe(data.path);
          t.after(async () => void (await serve.stop()));
          const client = await startXfreerdp(clientArgs(serve, token), { flavour });
          t.after(() => client.stop());
          await client.waitForActive(CLIENT_TIMEOUT_MS);
          const activeAt = Date.now();

          const result = await client.waitForExit(CLIENT_TIMEOUT_MS);
          const elapsed = Date.now() - activeAt;
          assert.equal(result.exitCode, flavour.exitOnGatewayClose, describeXfreerdpResult(result));
          assert.ok(
            flavour.closeStatusLogged(result, 0x000059f6),
            `no close status in the log: ${describeXfreerdpResult(result)}`,
          );
          assert.ok(flavour.serviceMessageShown(result, SERVICE_MESSAGE), describeXfreerdpResult(result));
          assert.ok(
            elapsed >= 2_000 && elapsed < 15_000,
            `the client exited ${elapsed} ms after ACTIVE (idle limit 3 s)`,
          );

          const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end');
          assert.equal(end.reason, 'idle-timeout');
          assert.equal(end.transport, 'websocket');
          assert.ok(Number(end.bytesToClient) > 1000, 'the session carried RDP before it went idle');
          assert.deepEqual(await serve.stop(), { code: 0, signal: null }, serve.process.outputTail());
        },
      );

      test(
        'SIGTERM to serve with a live session: the client is told and exits, serve exits 0 within its bound',
        { timeout: TEST_TIMEOUT_MS },
        async (t) => {
          const { data, token } = await dataDirWith(t, {});
          const serve = await startServe(data.path);
          t.after(async () => void (await serve.stop()));
          const client = await startXfreerdp(clientArgs(serve, token), { flavour });
          t.after(() => client.stop());
          await client.waitForActive(CLIENT_TIMEOUT_MS);
          await waitForAudit(data.path, (r) => r.event === 'tunnel.connect');

          const started = Date.now();
          const status = await serve.stop(); // SIGTERM, then the exit status
          const serveMs = Date.now() - started;
          assert.deepEqual(status, { code: 0, signal: null }, serve.process.outputTail());
          assert.ok(serveMs < SHUTDOWN_DRAIN_TIMEOUT_MS + 1_000, `serve took ${serveMs} ms to exit`);
          assert.match(serve.process.stderr(), /gateway stopped/);
          assert.doesNotMatch(serve.process.stderr(), /tunnels still open after the drain timeout/);

          const result = await client.waitForExit(10_000);
          assert.equal(result.exitCode, flavour.exitOnGatewayClose, describeXfreerdpResult(result));
          assert.ok(
            flavour.serviceMessageShown(result, 'The gateway is shutting down.'),
            describeXfreerdpResult(result),
          );
          assert.ok(flavour.closeStatusLogged(result, 0x000004d4), describeXfreerdpResult(result));
          const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end');
          assert.equal(end.reason, 'shutdown', 'the audit log was flushed before serve exited');
        },
      );
    },
  );
}
