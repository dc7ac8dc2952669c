/**
 * End to end with real programs over the legacy two-channel HTTP transport: Debian's xfreerdp (FreeRDP 2.11) with
 * `/gt:http,no-websockets` and `/gt:auto,no-websockets` through `homegate serve` to a real RDP server
 * (freerdp-shadow-cli under Xvfb), all on loopback. FreeRDP falls back between transports silently, so every test
 * checks in the audit log which transport the gateway really served. (`/gt:auto` without `no-websockets` tries the
 * WebSocket first, and gets it.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { issuePaaToken } from '../../main/security/tokens.ts';
import { startGateway } from '../../main/service.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  XFREERDP_EXIT,
  XFREERDP_TOOLS,
  describeXfreerdpResult,
  homegateOk,
  makeTempDir,
  readAuditLog,
  reachedActive,
  runXfreerdp,
  skipUnlessTools,
  startHomegateServe,
  startShadowServer,
  startXfreerdp,
  withTimeout,
  xfreerdpTarget,
  type HomegateServe,
  type ShadowServerHandle,
  type TempDir,
  allowHost,
  waitForAudit,
} from './harness/index.ts';

const skip = skipUnlessTools([...new Set([...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);
const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

describe('xfreerdp through homegate serve (MS-TSGU over legacy HTTP)', { skip, timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let shadow: ShadowServerHandle;
  let data: TempDir;
  let serve: HomegateServe;

  before(async () => {
    shadow = await startShadowServer();
    data = await makeTempDir('legacy');
    await allowHost(data.path, 'shadow', shadow.port);
    serve = await startHomegateServe(data.path);
  });

  after(async () => {
    await serve?.stop();
    await shadow?.stop();
    await data?.remove();
  });

  // `/gt:auto` alone tries the WebSocket first and gets it: both transports are served side by side.
  const cases = [
    { transport: 'http,no-websockets', served: 'http' },
    { transport: 'auto,no-websockets', served: 'http' },
    { transport: 'auto', served: 'websocket' },
  ];
  for (const { transport, served } of cases) {
    test(`/gt:${transport}: a session is established over ${served}`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const skipRecords = (await readAuditLog(data.path)).length;
      const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow'])).trim();
      const result = await runXfreerdp(
        [
          xfreerdpTarget('127.0.0.1', shadow.port),
          ...XFREERDP_BASE_ARGS,
          `/g:127.0.0.1:${serve.port}`,
          `/gt:${transport}`,
          `/gat:${token}`,
          XFREERDP_AUTH_ONLY,
        ],
        { timeoutMs: CLIENT_TIMEOUT_MS },
      );
      assert.equal(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
      assert.ok(reachedActive(result), describeXfreerdpResult(result));

      const connect = await waitForAudit(
        data.path,
        (r) => r.event === 'tunnel.connect' && r.host === 'shadow',
        skipRecords,
      );
      assert.equal(connect.transport, served, 'the transport the gateway really served');
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
    });
  }
});

describe('a live legacy session (gateway in process)', { skip, timeout: 2 * TEST_TIMEOUT_MS }, () => {
  test(
    'runs over both channels and ends when an admin disconnects it; the client sees the close',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const shadow = await startShadowServer();
      t.after(() => shadow.stop());
      const data = await makeTempDir('legacy-registry');
      t.after(() => data.remove());
      const service = await startGateway({
        dataDir: data.path,
        logger: silentLogger,
        listen: { host: '127.0.0.1', port: 0 },
      });
      t.after(() => service.stop());
      await service.context.settings.update((s) => ({
        ...s,
        hosts: [{ name: 'shadow', address: '127.0.0.1', port: shadow.port }],
      }));
      const { token } = await issuePaaToken(service.context.signingKey, {
        gatewayId: service.context.settings.get().gatewayId,
        hosts: ['shadow'],
        ttlSeconds: 300,
      });
      const started = new Promise<SessionInfo>((resolve) => service.sessions.on('start', resolve));
      const updated = new Promise<SessionInfo>((resolve) =>
        service.sessions.on('update', (info) => {
          if (info.bytesToClient > 0 && info.bytesToTarget > 0) resolve(info);
        }),
      );
      const ended = new Promise<SessionInfo>((resolve) => service.sessions.on('end', resolve));

      const client = await startXfreerdp([
        xfreerdpTarget('127.0.0.1', shadow.port),
        ...XFREERDP_BASE_ARGS,
        `/g:127.0.0.1:${service.address.port}`,
        '/gt:http,no-websockets',
        `/gat:${token}`,
      ]);
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);

      const session = await withTimeout(started, 5_000, 'the session start event');
      assert.equal(session.transport, 'http');
      assert.equal(session.clientAddress, '127.0.0.1');
      const live = await withTimeout(updated, 10_000, 'a session update with bytes both ways');
      assert.equal(live.id, session.id);

      assert.equal(service.sessions.disconnect(session.id), true);
      const final = await withTimeout(ended, 10_000, 'the session end event');
      assert.equal(final.endReason, 'admin-disconnect');
      const exit = await client.waitForExit(10_000);
      assert.notEqual(exit.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(exit));
      assert.equal(service.sessions.size, 0);
    },
  );
});
