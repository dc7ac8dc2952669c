/**
 * End to end with real programs: Debian's xfreerdp (FreeRDP 2.11) through `homegate serve` over MS-TSGU on a
 * WebSocket, to a real RDP server (freerdp-shadow-cli under Xvfb), all on loopback. Refusals use the same client
 * against a TCP listener that counts connections, to prove nothing was dialled.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { issuePaaToken } from '../../main/security/tokens.ts';
import { openContext, startGateway } from '../../main/service.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  XFREERDP_EXIT,
  XFREERDP_TOOLS,
  describeXfreerdpResult,
  homegate,
  homegateOk,
  makeTempDir,
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
  waitForAudit,
  countingListener,
  allowHost,
} from './harness/index.ts';
import { verifyRdpSignature } from '../helpers/rdp-signature.ts';

const skip = skipUnlessTools([...new Set([...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);
const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

function gatewayArgs(port: number, token: string, transport = 'http'): string[] {
  return [`/g:127.0.0.1:${port}`, `/gt:${transport}`, `/gat:${token}`];
}

describe('xfreerdp through homegate serve (MS-TSGU over WebSocket)', { skip, timeout: 5 * TEST_TIMEOUT_MS }, () => {
  let shadow: ShadowServerHandle;
  let decoy: Awaited<ReturnType<typeof countingListener>>;
  let stray: Awaited<ReturnType<typeof countingListener>>;
  let data: TempDir;
  let serve: HomegateServe;

  before(async () => {
    shadow = await startShadowServer();
    decoy = await countingListener();
    stray = await countingListener();
    data = await makeTempDir('gateway');
    await allowHost(data.path, 'shadow', shadow.port);
    await allowHost(data.path, 'decoy', decoy.port);
    serve = await startHomegateServe(data.path);
  });

  after(async () => {
    await serve?.stop();
    await shadow?.stop();
    await decoy?.close();
    await stray?.close();
    await data?.remove();
  });

  test('an RDP session is established and bytes flow both ways', { timeout: TEST_TIMEOUT_MS }, async () => {
    const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow'])).trim();
    const result = await runXfreerdp(
      [
        xfreerdpTarget('127.0.0.1', shadow.port),
        ...XFREERDP_BASE_ARGS,
        ...gatewayArgs(serve.port, token),
        XFREERDP_AUTH_ONLY,
      ],
      { timeoutMs: CLIENT_TIMEOUT_MS },
    );
    assert.equal(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
    assert.ok(reachedActive(result), describeXfreerdpResult(result));

    const connect = await waitForAudit(data.path, (r) => r.event === 'tunnel.connect' && r.host === 'shadow');
    // FreeRDP falls back to the legacy transport silently when an upgrade fails: prove it was the WebSocket.
    assert.equal(connect.transport, 'websocket');
    assert.equal(connect.target, `127.0.0.1:${shadow.port}`);
    const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end' && r.session === connect.session);
    assert.equal(end.transport, 'websocket');
    assert.ok(Number(end.bytesToTarget) > 1000, `bytes to target: ${String(end.bytesToTarget)}`);
    assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
  });

  test(
    'an exported, rdpsign-signed .rdp file opens through the gateway with nothing but credentials added',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const file = join(data.path, 'shadow.rdp');
      await homegateOk(data.path, [
        'rdp',
        '--host',
        'shadow',
        '--out',
        file,
        '--gateway-address',
        `127.0.0.1:${serve.port}`,
      ]);
      // Signed by default with the served certificate, which chains to the data directory's CA.
      const signed = verifyRdpSignature(await readFile(file), { caFile: join(data.path, 'tls', 'ca.pem') });
      assert.equal(signed.status, 0, signed.output);
      const result = await runXfreerdp([file, ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY], {
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      assert.equal(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
      // The file names the host by its allowlist name; the gateway dialled the configured address.
      const connect = await waitForAudit(
        data.path,
        (r) =>
          r.event === 'tunnel.connect' &&
          r.host === 'shadow' &&
          r.transport === 'websocket' &&
          r.clientName !== undefined,
      );
      assert.equal(connect.target, `127.0.0.1:${shadow.port}`);
    },
  );

  test('a host added while serve runs is reachable without a restart', { timeout: TEST_TIMEOUT_MS }, async () => {
    await allowHost(data.path, 'late', shadow.port);
    await serve.process.waitForLine(/settings reloaded/, 10_000);
    const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'late'])).trim();
    const result = await runXfreerdp(
      [
        xfreerdpTarget('late', shadow.port),
        ...XFREERDP_BASE_ARGS,
        ...gatewayArgs(serve.port, token),
        XFREERDP_AUTH_ONLY,
      ],
      { timeoutMs: CLIENT_TIMEOUT_MS },
    );
    assert.equal(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
    await waitForAudit(data.path, (r) => r.event === 'tunnel.end' && r.host === 'late');
  });

  describe('refusals: the client is turned away and nothing is dialled', () => {
    const cases: { name: string; failure: string; target: () => string; token: () => Promise<string> }[] = [
      {
        name: 'a garbage token',
        failure: 'malformed',
        target: () => xfreerdpTarget('127.0.0.1', decoy.port),
        token: () => Promise.resolve('not-a-token'),
      },
      {
        name: 'an expired token',
        failure: 'expired',
        target: () => xfreerdpTarget('127.0.0.1', decoy.port),
        token: async () => {
          const context = await openContext(data.path, silentLogger);
          try {
            const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
            const { token } = await issuePaaToken(context.signingKey, {
              gatewayId: context.settings.get().gatewayId,
              hosts: ['decoy'],
              ttlSeconds: 60,
              now: past,
            });
            return token;
          } finally {
            context.settings.close();
          }
        },
      },
      {
        name: 'a token for another host',
        failure: 'not-in-token',
        target: () => xfreerdpTarget('127.0.0.1', decoy.port),
        token: async () => (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow'])).trim(),
      },
      {
        name: 'a host that is not in the list',
        failure: 'not-allowed-host',
        target: () => xfreerdpTarget('127.0.0.1', stray.port),
        token: async () => (await homegateOk(data.path, ['token', 'paa', '--host', 'decoy'])).trim(),
      },
    ];

    for (const refusal of cases) {
      test(refusal.name, { timeout: TEST_TIMEOUT_MS }, async () => {
        const token = await refusal.token();
        const result = await runXfreerdp(
          [refusal.target(), ...XFREERDP_BASE_ARGS, ...gatewayArgs(serve.port, token), XFREERDP_AUTH_ONLY],
          { timeoutMs: CLIENT_TIMEOUT_MS },
        );
        assert.equal(result.timedOut, false, describeXfreerdpResult(result));
        assert.notEqual(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
        assert.equal(reachedActive(result), false);
        const refused = await waitForAudit(
          data.path,
          (r) => r.event === 'tunnel.refused' && r.failure === refusal.failure,
        );
        assert.equal(refused.transport, 'websocket');
        assert.equal(decoy.accepted(), 0, 'the allowed decoy host was dialled');
        assert.equal(stray.accepted(), 0, 'a host outside the allowlist was dialled');
      });
    }
  });

  test('SIGTERM stops serve gracefully', { timeout: TEST_TIMEOUT_MS }, async () => {
    const status = await serve.stop();
    assert.deepEqual(status, { code: 0, signal: null }, serve.process.outputTail());
    assert.match(serve.process.stderr(), /gateway stopped/);
    const listing = await homegate(data.path, ['hosts', 'list']);
    assert.equal(listing.code, 0);
  });
});

describe('a live session in the registry (gateway in process)', { skip, timeout: 2 * TEST_TIMEOUT_MS }, () => {
  test(
    'appears with its transport and byte counts, and ends when an admin disconnects it',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const shadow = await startShadowServer();
      t.after(() => shadow.stop());
      const data = await makeTempDir('registry');
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
        ...gatewayArgs(service.address.port, token),
      ]);
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);

      const session = await withTimeout(started, 5_000, 'the session start event');
      assert.equal(session.transport, 'websocket');
      assert.equal(session.host, 'shadow');
      assert.equal(session.clientAddress, '127.0.0.1');
      assert.ok(session.tokenId.length > 0);
      assert.deepEqual(
        service.sessions.list().map((s) => s.id),
        [session.id],
      );
      const live = await withTimeout(updated, 10_000, 'a session update with bytes both ways');
      assert.equal(live.id, session.id);

      assert.equal(service.sessions.disconnect(session.id), true);
      const final = await withTimeout(ended, 10_000, 'the session end event');
      assert.equal(final.endReason, 'admin-disconnect');
      const exit = await client.waitForExit(10_000);
      // Told why: the service message (FreeRDP advertises it), then CLOSE_CHANNEL(E_PROXY_CONNECTIONABORTED), which
      // FreeRDP records as its last error; the gateway then closes and the client exits as for a lost connection.
      assert.equal(exit.exitCode, XFREERDP_EXIT.CONN_FAILED, describeXfreerdpResult(exit));
      assert.ok(
        exit.stdout.includes('Service message:\nThe gateway administrator ended this session.\n'),
        describeXfreerdpResult(exit),
      );
      assert.match(`${exit.stdout}\n${exit.stderr}`, /rdg_process_close_packet\b.*\[0x000004D4\]/);
      assert.equal(service.sessions.size, 0);
    },
  );
});
