/**
 * End to end: live xfreerdp sessions (FreeRDP 2.11) through `homegate serve` that the gateway ends by itself — an
 * idle timeout and a graceful shutdown on SIGTERM. The client must be told (service message, CLOSE_CHANNEL status
 * in its log) and its process must exit; serve must exit 0 within its drain bound. The admin disconnect of a live
 * xfreerdp session is in gateway-websocket.test.ts (it needs the gateway in process).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { SHUTDOWN_DRAIN_TIMEOUT_MS, openContext } from '../../main/service.ts';
import type { LifecycleSettings } from '../../main/config/schema.ts';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  XFREERDP_EXIT,
  XFREERDP_TOOLS,
  describeXfreerdpResult,
  homegateOk,
  makeTempDir,
  skipUnlessTools,
  startHomegateServe,
  startShadowServer,
  startXfreerdp,
  xfreerdpTarget,
  type ShadowServerHandle,
  type XfreerdpResult,
  waitForAudit,
  allowHost,
} from './harness/index.ts';

const skip = skipUnlessTools([...new Set([...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);
const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;
const SERVICE_MESSAGE = 'Welcome to homegate (e2e).';

/** FreeRDP logs a non-zero CLOSE_CHANNEL status as its last error: `rdg_process_close_packet:… [0x000059F6]`. */
function closeStatusLogged(result: XfreerdpResult, status: number): boolean {
  const hex = `0x${status.toString(16).toUpperCase().padStart(8, '0')}`;
  return new RegExp(`rdg_process_close_packet\\b.*\\[${hex}\\]`).test(`${result.stdout}\n${result.stderr}`);
}

/** xfreerdp prints service messages on stdout as "Service message:" and then the text. */
function serviceMessageShown(result: XfreerdpResult, text: string): boolean {
  return result.stdout.includes(`Service message:\n${text}\n`);
}

describe('live xfreerdp sessions the gateway ends (homegate serve)', { skip, timeout: 3 * TEST_TIMEOUT_MS }, () => {
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

  function clientArgs(port: number, token: string): string[] {
    return [
      xfreerdpTarget('127.0.0.1', shadow.port),
      ...XFREERDP_BASE_ARGS,
      `/g:127.0.0.1:${port}`,
      '/gt:http',
      `/gat:${token}`,
    ];
  }

  test(
    'an idle session is closed with E_PROXY_SESSIONTIMEOUT and xfreerdp exits',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      // 0.05 minutes = 3 s. A shadow session on a static screen goes quiet about 1.5 s after reaching ACTIVE.
      const { data, token } = await dataDirWith(t, { idleTimeoutMinutes: 0.05, serviceMessage: SERVICE_MESSAGE });
      const serve = await startHomegateServe(data.path);
      t.after(async () => void (await serve.stop()));
      const client = await startXfreerdp(clientArgs(serve.port, token));
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);
      const activeAt = Date.now();

      const result = await client.waitForExit(CLIENT_TIMEOUT_MS);
      const elapsed = Date.now() - activeAt;
      assert.equal(result.exitCode, XFREERDP_EXIT.CONN_FAILED, describeXfreerdpResult(result));
      assert.ok(closeStatusLogged(result, 0x000059f6), `no close status in the log: ${describeXfreerdpResult(result)}`);
      assert.ok(serviceMessageShown(result, SERVICE_MESSAGE), describeXfreerdpResult(result));
      assert.ok(elapsed >= 2_000 && elapsed < 15_000, `the client exited ${elapsed} ms after ACTIVE (idle limit 3 s)`);

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
      const serve = await startHomegateServe(data.path);
      t.after(async () => void (await serve.stop()));
      const client = await startXfreerdp(clientArgs(serve.port, token));
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
      assert.equal(result.exitCode, XFREERDP_EXIT.CONN_FAILED, describeXfreerdpResult(result));
      assert.ok(serviceMessageShown(result, 'The gateway is shutting down.'), describeXfreerdpResult(result));
      assert.ok(closeStatusLogged(result, 0x000004d4), describeXfreerdpResult(result));
      const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end');
      assert.equal(end.reason, 'shutdown', 'the audit log was flushed before serve exited');
    },
  );
});
