/**
 * End to end with real programs: each client flavour (FreeRDP 2.11, FreeRDP 3.10; harness/client-flavours.ts)
 * through `homegate serve` over MS-TSGU on a WebSocket, to a real RDP server (freerdp-shadow-cli under Xvfb), all
 * on loopback. Refusals use the same client against a TCP listener that counts connections, to prove nothing was
 * dialled.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { issuePaaToken } from '../../main/security/tokens.ts';
import { openContext } from '../../main/service.ts';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  allowHost,
  attemptSession,
  correlationIdAsExpected,
  countingListener,
  describeXfreerdpResult,
  homegate,
  homegateOk,
  skipUnlessFlavour,
  startServeFixture,
  waitForAudit,
  xfreerdpTarget,
  type ServeFixture,
} from './harness/index.ts';
import { verifyRdpSignature } from '../helpers/rdp-signature.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, SHADOW_SERVER_TOOLS);

  describe(
    `${flavour.label} through homegate serve (MS-TSGU over WebSocket)`,
    { skip, timeout: 5 * TEST_TIMEOUT_MS },
    () => {
      let fixture: ServeFixture;
      let decoy: Awaited<ReturnType<typeof countingListener>>;
      let stray: Awaited<ReturnType<typeof countingListener>>;

      before(async () => {
        decoy = await countingListener();
        stray = await countingListener();
        fixture = await startServeFixture({ flavour, name: 'gateway', hosts: { decoy: decoy.port } });
      });

      after(async () => {
        await fixture?.stop();
        await decoy?.close();
        await stray?.close();
      });

      test('an RDP session is established and bytes flow both ways', { timeout: TEST_TIMEOUT_MS }, async () => {
        const { data, shadow } = fixture;
        const token = await fixture.paaToken('shadow');
        const { held, result } = await attemptSession(fixture.toShadow(token), {
          flavour,
          timeoutMs: CLIENT_TIMEOUT_MS,
        });
        assert.ok(held, describeXfreerdpResult(result));

        const connect = await waitForAudit(data.path, (r) => r.event === 'tunnel.connect' && r.host === 'shadow');
        // FreeRDP falls back to the legacy transport silently when an upgrade fails: prove it was the WebSocket.
        assert.equal(connect.transport, 'websocket');
        assert.equal(connect.target, `127.0.0.1:${shadow.port}`);
        assert.ok(correlationIdAsExpected(flavour, connect), `correlationId: ${String(connect.correlationId)}`);
        const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end' && r.session === connect.session);
        assert.equal(end.transport, 'websocket');
        assert.ok(Number(end.bytesToTarget) > 1000, `bytes to target: ${String(end.bytesToTarget)}`);
        assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
      });

      test(
        'an exported, rdpsign-signed .rdp file opens through the gateway with nothing but credentials added',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const { data, serve, shadow } = fixture;
          const file = join(data.path, 'shadow.rdp');
          // The file names the port; FreeRDP 3 honours an .rdp file's gateway port (not a command line's).
          await homegateOk(data.path, [
            'rdp',
            '--host',
            'shadow',
            '--out',
            file,
            '--gateway-address',
            `${fixture.gateway.host}:${serve.port}`,
          ]);
          // Signed by default with the served certificate, which chains to the data directory's CA.
          const signed = verifyRdpSignature(await readFile(file), { caFile: join(data.path, 'tls', 'ca.pem') });
          assert.equal(signed.status, 0, signed.output);
          const { held, result } = await attemptSession([file, ...XFREERDP_BASE_ARGS], {
            flavour,
            timeoutMs: CLIENT_TIMEOUT_MS,
          });
          assert.ok(held, describeXfreerdpResult(result));
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
        const { data, serve, shadow } = fixture;
        await allowHost(data.path, 'late', shadow.port);
        await serve.process.waitForLine(/settings reloaded/, 10_000);
        const token = await fixture.paaToken('late');
        const { held, result } = await attemptSession(fixture.viaGateway(xfreerdpTarget('late', shadow.port), token), {
          flavour,
          timeoutMs: CLIENT_TIMEOUT_MS,
        });
        assert.ok(held, describeXfreerdpResult(result));
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
              const context = await openContext(fixture.data.path, silentLogger);
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
            token: () => fixture.paaToken('shadow'),
          },
          {
            name: 'a host that is not in the list',
            failure: 'not-allowed-host',
            target: () => xfreerdpTarget('127.0.0.1', stray.port),
            token: () => fixture.paaToken('decoy'),
          },
        ];

        for (const refusal of cases) {
          test(refusal.name, { timeout: TEST_TIMEOUT_MS }, async () => {
            const token = await refusal.token();
            const { held, result } = await attemptSession(fixture.viaGateway(refusal.target(), token), {
              flavour,
              timeoutMs: CLIENT_TIMEOUT_MS,
            });
            assert.equal(result.timedOut, false, describeXfreerdpResult(result));
            assert.equal(held, false, describeXfreerdpResult(result));
            const refused = await waitForAudit(
              fixture.data.path,
              (r) => r.event === 'tunnel.refused' && r.failure === refusal.failure,
            );
            assert.equal(refused.transport, 'websocket');
            assert.equal(decoy.accepted(), 0, 'the allowed decoy host was dialled');
            assert.equal(stray.accepted(), 0, 'a host outside the allowlist was dialled');
          });
        }
      });

      test('SIGTERM stops serve gracefully', { timeout: TEST_TIMEOUT_MS }, async () => {
        const { data, serve } = fixture;
        const status = await serve.stop();
        assert.deepEqual(status, { code: 0, signal: null }, serve.process.outputTail());
        assert.match(serve.process.stderr(), /gateway stopped/);
        const listing = await homegate(data.path, ['hosts', 'list']);
        assert.equal(listing.code, 0);
      });
    },
  );
}
