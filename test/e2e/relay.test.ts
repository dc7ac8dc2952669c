/**
 * End to end with real programs: each client flavour (FreeRDP 2.11, FreeRDP 3.10) with `/pcb:<token>` straight at
 * `homegate serve`'s TCP relay, to a real RDP server (freerdp-shadow-cli under Xvfb), all on loopback. Refusals use
 * the same client against TCP listeners that count connections, to prove nothing was dialled.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { silentLogger } from '../../main/logging/logger.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { issueAssociationToken } from '../../main/security/tokens.ts';
import { openContext } from '../../main/service.ts';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  attemptSession,
  describeXfreerdpResult,
  freePort,
  homegateOk,
  readAuditLog,
  skipUnlessFlavour,
  sleep,
  startServeFixture,
  startXfreerdp,
  xfreerdpTarget,
  type AuditRecord,
  type ServeFixture,
  waitForAudit,
  countingListener,
} from './harness/index.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;
/** Short, so that "replayed outside the window" does not make the test slow. */
const REUSE_WINDOW_SECONDS = 2;

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, SHADOW_SERVER_TOOLS);
  describe(`${flavour.label} /pcb through the homegate TCP relay`, { skip, timeout: 12 * TEST_TIMEOUT_MS }, () => {
    let fixture: ServeFixture;
    let decoy: Awaited<ReturnType<typeof countingListener>>;
    let stray: Awaited<ReturnType<typeof countingListener>>;
    let replayTarget: Awaited<ReturnType<typeof countingListener>>;
    let relayPort: number;

    before(async () => {
      decoy = await countingListener();
      stray = await countingListener();
      replayTarget = await countingListener();
      fixture = await startServeFixture({
        flavour,
        name: 'relay',
        hosts: { decoy: decoy.port, replay: replayTarget.port, dead: await freePort() },
        prepare: async (dataDir) => {
          const context = await openContext(dataDir, silentLogger);
          try {
            await context.settings.update((s) => ({
              ...s,
              relay: { ...s.relay, reuseWindowSeconds: REUSE_WINDOW_SECONDS },
            }));
          } finally {
            context.settings.close();
          }
        },
        extraArgs: ['--relay-listen', '127.0.0.1:0'],
      });
      assert.ok(fixture.serve.relayPort, 'serve printed the relay address');
      relayPort = fixture.serve.relayPort;
    });

    after(async () => {
      await fixture?.stop();
      await decoy?.close();
      await stray?.close();
      await replayTarget?.close();
    });
    const dataDir = (): string => fixture.data.path;

    const associationToken = async (host: string, ...alternates: string[]): Promise<string> =>
      (
        await homegateOk(dataDir(), [
          'token',
          'association',
          '--host',
          host,
          ...alternates.flatMap((a) => ['--alt', a]),
        ])
      ).trim();

    const relayArgs = (token: string): string[] => [xfreerdpTarget('127.0.0.1', relayPort), `/pcb:${token}`];

    /** A session through the relay with a token for `host` (then `alternates`): held, and its tunnel.connect record. */
    const relaySession = async (host: string, ...alternates: string[]): Promise<AuditRecord> => {
      const token = await associationToken(host, ...alternates);
      const jti = String(decodeJwt(token).jti);
      const { held, result } = await attemptSession([...relayArgs(token), ...XFREERDP_BASE_ARGS], {
        flavour,
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      assert.ok(held, describeXfreerdpResult(result));
      const connect = await waitForAudit(dataDir(), (r) => r.event === 'tunnel.connect' && r.tokenId === jti);
      assert.equal(connect.transport, 'relay');
      assert.equal(connect.host, 'shadow');
      return connect;
    };

    test(
      'an RDP session is established through the relay and bytes flow both ways',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const connect = await relaySession('shadow');
        assert.equal(connect.target, `127.0.0.1:${fixture.shadow.port}`);
        const end = await waitForAudit(dataDir(), (r) => r.event === 'tunnel.end' && r.session === connect.session);
        assert.equal(end.transport, 'relay');
        assert.ok(Number(end.bytesToTarget) > 1000, `bytes to target: ${String(end.bytesToTarget)}`);
        assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
      },
    );

    test(
      'a relay-mode .rdp file from `homegate rdp --mode relay` opens with xfreerdp',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const file = join(dataDir(), 'shadow-relay.rdp');
        await homegateOk(dataDir(), [
          'rdp',
          '--host',
          'shadow',
          '--mode',
          'relay',
          '--relay-address',
          `127.0.0.1:${relayPort}`,
          '--out',
          file,
        ]);
        const before = (await readAuditLog(dataDir())).length;
        const { held, result } = await attemptSession([file, ...XFREERDP_BASE_ARGS], {
          flavour,
          timeoutMs: CLIENT_TIMEOUT_MS,
        });
        assert.ok(held, describeXfreerdpResult(result));
        const connect = (await readAuditLog(dataDir()))
          .slice(before)
          .find((r) => r.event === 'tunnel.connect' && r.transport === 'relay');
        assert.ok(connect, 'a relay session was recorded');
        assert.equal(connect.host, 'shadow');
      },
    );

    test(
      'dst_alt: with the first target dead, the relay falls back to the next',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        await relaySession('dead', 'shadow');
      },
    );

    describe('refusals: the client is turned away and nothing is dialled', () => {
      const mint = async (targets: string[], options: { now?: Date; gatewayId?: string } = {}): Promise<string> => {
        const context = await openContext(dataDir(), silentLogger);
        try {
          const { token } = await issueAssociationToken(context.signingKey, {
            gatewayId: options.gatewayId ?? context.settings.get().gatewayId,
            targets,
            ttlSeconds: 60,
            ...(options.now ? { now: options.now } : {}),
          });
          return token;
        } finally {
          context.settings.close();
        }
      };

      const cases: { name: string; failure: string; token: () => Promise<string> }[] = [
        {
          name: 'a revoked token',
          failure: 'revoked',
          token: async () => {
            const token = await associationToken('decoy');
            const jti = String(decodeJwt(token).jti);
            await homegateOk(dataDir(), ['revoke', '--jti', jti]);
            // serve follows the list file; the audit log says when the new list is in force.
            await waitForAudit(dataDir(), (r) => r.event === 'jrl.updated' && Number(r.values) >= 1);
            return token;
          },
        },
        {
          name: 'an expired token',
          failure: 'expired',
          token: () => mint([`tcp://decoy:${decoy.port}`], { now: new Date(Date.now() - 2 * 60 * 60 * 1000) }),
        },
        {
          name: 'a token replayed after the reconnection window',
          failure: 'replayed',
          token: async () => {
            const token = await associationToken('replay');
            // First use: a plain TCP client sends the PDU; the relay dials the target once.
            const first = connect(relayPort, '127.0.0.1');
            first.on('error', () => undefined);
            first.write(encodePreconnectionPdu(token, { trailingNuls: 2 }));
            const deadline = Date.now() + 10_000;
            while (replayTarget.accepted() === 0 && Date.now() < deadline) await sleep(20);
            first.destroy();
            assert.equal(replayTarget.accepted(), 1, 'the first use was relayed');
            await sleep(REUSE_WINDOW_SECONDS * 1000 + 500);
            return token;
          },
        },
        {
          name: 'a token for another gateway',
          failure: 'wrong-gateway',
          token: () => mint([`tcp://decoy:${decoy.port}`], { gatewayId: '0b9d5f3c-3f4e-4a8e-9d1e-2c3b4a5d6e7f' }),
        },
        {
          name: 'a token for a target that is not an allowed host',
          failure: 'not-allowed-host',
          token: () => mint([`tcp://127.0.0.1:${stray.port}`]),
        },
      ];

      for (const refusal of cases) {
        test(refusal.name, { timeout: TEST_TIMEOUT_MS }, async () => {
          const token = await refusal.token();
          const jti = String(decodeJwt(token).jti);
          // The replay case relays its first use on purpose; from here on nothing may be dialled.
          const replayUses = replayTarget.accepted();
          const { held, result } = await attemptSession([...relayArgs(token), ...XFREERDP_BASE_ARGS], {
            flavour,
            timeoutMs: CLIENT_TIMEOUT_MS,
          });
          assert.equal(result.timedOut, false, describeXfreerdpResult(result));
          assert.equal(held, false, describeXfreerdpResult(result));
          const refused = await waitForAudit(
            dataDir(),
            (r) => r.event === 'tunnel.refused' && r.transport === 'relay' && r.failure === refusal.failure,
          );
          assert.equal(refused.tokenId, jti);
          assert.equal(decoy.accepted(), 0, 'the allowed decoy host was dialled');
          assert.equal(stray.accepted(), 0, 'a host outside the allowlist was dialled');
          assert.equal(replayTarget.accepted(), replayUses, 'a refused token was dialled');
        });
      }
    });

    test('`homegate revoke` ends a live relay session that used the token', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const token = await associationToken('shadow');
      const jti = String(decodeJwt(token).jti);
      const client = await startXfreerdp([...relayArgs(token), ...XFREERDP_BASE_ARGS], { flavour });
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);
      const connect = await waitForAudit(dataDir(), (r) => r.event === 'tunnel.connect' && r.tokenId === jti);
      await homegateOk(dataDir(), ['revoke', '--jti', jti]);
      const end = await waitForAudit(dataDir(), (r) => r.event === 'tunnel.end' && r.session === connect.session);
      assert.equal(end.reason, 'revoked');
      const exit = await client.waitForExit(10_000);
      assert.equal(exit.exitCode, flavour.exitOnServerClose, describeXfreerdpResult(exit));
    });

    test('SIGTERM stops serve (and its relay) gracefully', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { serve } = fixture;
      const status = await serve.stop();
      assert.deepEqual(status, { code: 0, signal: null }, serve.process.outputTail());
      assert.match(serve.process.stderr(), /gateway stopped/);
    });
  });
}
