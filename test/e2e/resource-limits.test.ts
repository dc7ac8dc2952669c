/**
 * The resource-limit load test at a reduced size (the full size, 4096 connections against the default limits, is
 * `npm run bench -- --only=limits`). Eight attacker addresses (127.0.0.2-.9, two per kind) hold silent
 * connections, request heads sent a byte at a time, half-open legacy pairs and preconnection PDUs sent a byte at a
 * time against `homegate serve`, past every per-address cap and up to every global cap (set small in the settings'
 * `limits`). A ninth floods the relay with bad tokens. Meanwhile 127.0.0.1 connects real xfreerdp through the
 * gateway over WebSocket and through the relay with /pcb:, and /jet/health answers. Then every held connection is
 * closed by the gateway, and the audit log has both sessions, every relay refusal (the flood folded with counts).
 *
 * HOMEGATE_LIMITS_LOAD sets the size: attack connections in all (default 48, 6 per address).
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LimitsSettings } from '../../main/config/schema.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { openContext } from '../../main/service.ts';
import { rawHttpsExchange } from '../helpers/raw-https.ts';
import { STALL_KINDS, StallAttack, attackerAddresses, type StallKind } from '../helpers/stalling-clients.ts';
import {
  FREERDP2,
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  attemptSession,
  describeXfreerdpResult,
  homegateOk,
  readAuditLog,
  skipUnlessFlavour,
  startServeFixture,
  xfreerdpTarget,
  type AuditRecord,
  type ServeFixture,
} from './harness/index.ts';

const skip = skipUnlessFlavour(FREERDP2, SHADOW_SERVER_TOOLS);
const CLIENT_TIMEOUT_MS = 30_000;
const ADDRESSES_PER_KIND = 2;
const LOAD = Number(process.env.HOMEGATE_LIMITS_LOAD) || 48;
/** Connections each attacker address opens; two more than its cap, so that the cap refuses some. */
const PER_ADDRESS = Math.max(3, Math.floor(LOAD / (STALL_KINDS.length * ADDRESSES_PER_KIND)));
const CAP = PER_ADDRESS - 2;
/** Deadlines that outlast both xfreerdp runs on a busy machine, so the clients connect while the caps are full. */
const LIMITS: Partial<LimitsSettings> = {
  tlsHandshakeSeconds: 10,
  requestHeadSeconds: 12,
  // Silent and slow-head attackers share the HTTPS listener's pending places: together they fill them.
  maxPendingConnections: 2 * ADDRESSES_PER_KIND * CAP,
  maxPendingConnectionsPerAddress: CAP,
  relayPduSeconds: 12,
  maxPendingRelayConnections: ADDRESSES_PER_KIND * CAP,
  maxPendingRelayConnectionsPerAddress: CAP,
  legacyPairSeconds: 12,
  maxHalfOpenLegacyPairs: ADDRESSES_PER_KIND * CAP,
  maxHalfOpenLegacyPairsPerAddress: CAP,
};
/** Generous: the longest deadline is 12 s; a connection the gateway never closes stays open far beyond this. */
const ALL_CLOSED_WITHIN_MS = 45_000;
const FLOOD = 20;

/** Refusals audit records stand for: one per line, or for a folded line the repeats it counts. */
const refusals = (records: readonly AuditRecord[]): number =>
  records.reduce((sum, record) => sum + (typeof record.repeated === 'number' ? record.repeated : 1), 0);

/** One relay connection with a well-formed PDU whose token is not one; resolves when the relay has closed it. */
function badTokenPdu(port: number, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress }, () =>
      socket.write(encodePreconnectionPdu('not-a-token')),
    );
    socket.on('error', () => undefined);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.resume();
    socket.once('close', () => resolve());
  });
}

describe('resource limits under load (reduced size)', { skip, timeout: 180_000 }, () => {
  let fixture: ServeFixture;
  let attack: StallAttack | undefined;
  const addresses = attackerAddresses(0, STALL_KINDS.length * ADDRESSES_PER_KIND + 1);
  const group = (kind: StallKind): string[] => {
    const index = STALL_KINDS.indexOf(kind) * ADDRESSES_PER_KIND;
    return addresses.slice(index, index + ADDRESSES_PER_KIND);
  };
  const flooder = addresses.at(-1) ?? '';

  before(async () => {
    fixture = await startServeFixture({
      flavour: FREERDP2,
      name: 'limits',
      extraArgs: ['--relay-listen', '127.0.0.1:0'],
      prepare: async (dataDir) => {
        const context = await openContext(dataDir, silentLogger);
        try {
          await context.settings.update((s) => ({ ...s, limits: { ...s.limits, ...LIMITS } }));
        } finally {
          context.settings.close();
        }
      },
    });
  });

  after(async () => {
    attack?.stop();
    await fixture?.stop();
  });

  test('attackers fill every cap; xfreerdp and /jet/health still get through; the gateway closes every held connection', async (t) => {
    const relayPort = fixture.serve.relayPort;
    assert.ok(relayPort, 'serve printed the relay address');
    const paa = await fixture.paaToken('shadow');
    const association = (await homegateOk(fixture.data.path, ['token', 'association', '--host', 'shadow'])).trim();

    attack = await StallAttack.start({
      gatewayPort: fixture.serve.port,
      relayPort,
      kinds: Object.fromEntries(
        STALL_KINDS.map((kind) => [kind, { addresses: group(kind), perAddress: PER_ADDRESS }]),
      ) as Record<StallKind, { addresses: string[]; perAddress: number }>,
      dripMs: 2_000,
    });
    // Every address holds exactly its cap (the rest refused at the door), so every global cap is full.
    const full = Object.fromEntries(STALL_KINDS.map((kind) => [kind, ADDRESSES_PER_KIND * CAP])) as Record<
      StallKind,
      number
    >;
    assert.deepEqual(await attack.settle(full, 5_000), full);

    const health = await rawHttpsExchange(
      { host: '127.0.0.1', port: fixture.serve.port },
      'GET /jet/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    assert.equal(health.status, 200);
    for (let i = 0; i < FLOOD; i++) await badTokenPdu(relayPort, flooder);

    const [viaGateway, viaRelay] = await Promise.all([
      attemptSession(fixture.toShadow(paa, 'websocket'), { flavour: FREERDP2, timeoutMs: CLIENT_TIMEOUT_MS }),
      attemptSession([xfreerdpTarget('127.0.0.1', relayPort), `/pcb:${association}`, ...XFREERDP_BASE_ARGS], {
        flavour: FREERDP2,
        timeoutMs: CLIENT_TIMEOUT_MS,
      }),
    ]);
    assert.ok(viaGateway.held, `through the gateway: ${describeXfreerdpResult(viaGateway.result)}`);
    assert.ok(viaRelay.held, `through the relay: ${describeXfreerdpResult(viaRelay.result)}`);

    assert.ok(await attack.allClosed(ALL_CLOSED_WITHIN_MS), JSON.stringify(attack.figures()));
    const figures = attack.figures();
    t.diagnostic(`${LOAD} attack connections, cap ${CAP} per address: ${JSON.stringify(figures)}`);
    for (const kind of STALL_KINDS) {
      assert.equal(figures[kind].attempted, ADDRESSES_PER_KIND * PER_ADDRESS, kind);
      assert.equal(figures[kind].held, ADDRESSES_PER_KIND * CAP, kind);
      assert.equal(figures[kind].closedByGateway, figures[kind].held, kind);
    }

    // Stopping serve writes the folded counts still pending; then nothing may be missing.
    await fixture.serve.stop();
    const records = await readAuditLog(fixture.data.path);
    for (const transport of ['websocket', 'relay']) {
      const connect = records.find((r) => r.event === 'tunnel.connect' && r.transport === transport);
      assert.ok(connect, `a tunnel.connect over ${transport}`);
      assert.equal(connect.host, 'shadow');
      assert.ok(records.some((r) => r.event === 'tunnel.end' && r.session === connect.session));
    }
    const relayRefusals = (client: string): AuditRecord[] =>
      records.filter((r) => r.event === 'tunnel.refused' && r.transport === 'relay' && r.client === client);
    // Every slow PDU the relay let in ends in one refusal: its deadline, or its place given to a newcomer.
    const stalled = group('slowPdu').flatMap(relayRefusals);
    assert.equal(refusals(stalled), figures.slowPdu.held, JSON.stringify(stalled));
    const flood = relayRefusals(flooder);
    assert.equal(refusals(flood), FLOOD, JSON.stringify(flood));
    assert.ok(flood.length < FLOOD && flood.some((r) => typeof r.repeated === 'number'), JSON.stringify(flood));
  });
});
