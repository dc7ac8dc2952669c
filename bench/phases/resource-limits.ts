/**
 * The resource-limit load test at full size (issue 13; the reduced size is test/e2e/resource-limits.test.ts): 4096
 * connections from attacker addresses in 127.0.0.0/8 against the gateway's default `limits`, a quarter of each kind
 * (test/helpers/stalling-clients.ts), with just enough addresses per kind that their per-address caps add up to the
 * global cap: every per-address and every global cap is full. Meanwhile a client on 127.0.0.1 opens a tunnel over
 * WebSocket and one through the relay, each answering a ping through the target, and /jet/health is timed. Then
 * the attackers wait, closing nothing, until the gateway has closed every connection they held.
 */
import { LimitsSchema, type LimitsSettings } from '../../main/config/schema.ts';
import { rawHttpsExchange } from '../../test/helpers/raw-https.ts';
import {
  STALL_KINDS,
  StallAttack,
  attackerAddresses,
  type StallKind,
  type StallKindFigures,
} from '../../test/helpers/stalling-clients.ts';
import type { GatewayProcess } from '../lib/gateway.ts';
import { distribution, elapsedMs, round, type Distribution } from '../lib/stats.ts';
import { TRANSPORTS, readExactly, startEcho, type TransportContext } from '../lib/transports.ts';

export interface LimitsOptions {
  /** Attack connections in all, split evenly among the kinds. */
  readonly connections: number;
  /** A byte every this many ms on the slow heads and PDUs. */
  readonly dripMs: number;
  /** Attacker addresses opening connections at once, per kind. */
  readonly parallelAddresses: number;
  /** /jet/health requests timed while the caps are full. */
  readonly healthSamples: number;
}

export interface LimitsKindRow extends StallKindFigures {
  readonly addresses: number;
  /** The configured deadline that should close these connections. */
  readonly deadlineMs: number;
}

export interface LimitsResult {
  readonly connections: number;
  readonly openedInMs: number;
  readonly kinds: Record<StallKind, LimitsKindRow>;
  /** Whether each legitimate tunnel answered its ping while the caps were full ('ok' or the error). */
  readonly legitimate: { readonly websocket: string; readonly relay: string };
  readonly health: (Distribution & { readonly ok: number }) | undefined;
  /** True if the gateway closed every held connection before the attackers gave up waiting. */
  readonly allClosedByGateway: boolean;
}

/** The cap and deadline each kind runs into, read from the gateway's limits. */
function capOf(kind: StallKind, limits: LimitsSettings): { perAddress: number; global: number; deadlineMs: number } {
  switch (kind) {
    case 'silent':
    case 'slowHead':
      // The two share the HTTPS listener's pending places: half the global cap each.
      return {
        perAddress: limits.maxPendingConnectionsPerAddress,
        global: Math.floor(limits.maxPendingConnections / 2),
        deadlineMs: 1000 * (kind === 'silent' ? limits.tlsHandshakeSeconds : limits.requestHeadSeconds),
      };
    case 'halfOpen':
      return {
        perAddress: limits.maxHalfOpenLegacyPairsPerAddress,
        global: limits.maxHalfOpenLegacyPairs,
        deadlineMs: 1000 * limits.legacyPairSeconds,
      };
    case 'slowPdu':
      return {
        perAddress: limits.maxPendingRelayConnectionsPerAddress,
        global: limits.maxPendingRelayConnections,
        deadlineMs: 1000 * limits.relayPduSeconds,
      };
  }
}

/** Opens one legitimate tunnel of `id` and has it carry a ping through the target; 'ok' or why not. */
async function legitimateTunnel(id: string, context: TransportContext): Promise<string> {
  const transport = TRANSPORTS.find((candidate) => candidate.id === id);
  if (!transport) return `no transport ${id}`;
  try {
    const stream = await transport.open(context);
    try {
      startEcho(stream);
      stream.write(Buffer.from('ping'));
      const echoed = await readExactly(stream, 4, context.timeoutMs);
      return echoed.toString() === 'ping' ? 'ok' : 'the echo differed';
    } finally {
      stream.destroy();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function measureResourceLimits(
  context: TransportContext,
  gateway: GatewayProcess,
  options: LimitsOptions,
  log: (line: string) => void,
): Promise<LimitsResult> {
  if (gateway.relayPort === undefined) throw new Error('the gateway has no relay listener');
  // The bench's gateway runs with the settings' defaults: the limits a home gateway ships with.
  const limits = LimitsSchema.parse({});
  const perKind = Math.floor(options.connections / STALL_KINDS.length);
  let first = 0;
  const kinds = {} as Record<StallKind, { addresses: string[]; perAddress: number }>;
  for (const kind of STALL_KINDS) {
    const cap = capOf(kind, limits);
    const count = Math.max(1, Math.ceil(cap.global / cap.perAddress));
    kinds[kind] = { addresses: attackerAddresses(first, count), perAddress: Math.ceil(perKind / count) };
    first += count;
  }
  const started = process.hrtime.bigint();
  const attack = await StallAttack.start({
    gatewayPort: gateway.port,
    relayPort: gateway.relayPort,
    kinds,
    dripMs: options.dripMs,
    parallelAddresses: options.parallelAddresses,
  });
  try {
    const openedInMs = round(elapsedMs(started), 0);
    const holding = await attack.settle(undefined, 5_000);
    log(`  opened in ${openedInMs} ms from ${first} addresses; holding ${JSON.stringify(holding)}`);

    const [websocket, relay] = await Promise.all([
      legitimateTunnel('homegate-websocket', context),
      legitimateTunnel('homegate-relay', context),
    ]);
    log(`  legitimate client on 127.0.0.1: WebSocket tunnel ${websocket}, relay tunnel ${relay}`);
    const samples: number[] = [];
    for (let i = 0; i < options.healthSamples; i++) {
      const begun = process.hrtime.bigint();
      try {
        const response = await rawHttpsExchange(
          { host: '127.0.0.1', port: gateway.port, ca: gateway.caPem, timeoutMs: context.timeoutMs },
          'GET /jet/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
        );
        if (response.status === 200) samples.push(elapsedMs(begun));
      } catch {
        // Counted as not ok.
      }
    }
    const health = samples.length > 0 ? { ...distribution(samples), ok: samples.length } : undefined;

    const longest = Math.max(...STALL_KINDS.map((kind) => capOf(kind, limits).deadlineMs));
    const allClosedByGateway = await attack.allClosed(longest + 30_000);
    const figures = attack.figures();
    const rows = {} as Record<StallKind, LimitsKindRow>;
    for (const kind of STALL_KINDS) {
      rows[kind] = {
        ...figures[kind],
        addresses: kinds[kind].addresses.length,
        deadlineMs: capOf(kind, limits).deadlineMs,
      };
    }
    return {
      connections: STALL_KINDS.reduce((sum, kind) => sum + rows[kind].attempted, 0),
      openedInMs,
      kinds: rows,
      legitimate: { websocket, relay },
      health,
      allClosedByGateway,
    };
  } finally {
    attack.stop();
  }
}

/** The phase's lines of the printed table. */
export function printLimits(result: LimitsResult): string {
  const lines = [
    '',
    `Resource limits: ${result.connections} attacker connections (default limits), opened in ${result.openedInMs} ms`,
    '  kind        addresses  attempted   held  closed by gateway  held p50 / max ms   deadline ms',
  ];
  for (const kind of STALL_KINDS) {
    const row = result.kinds[kind];
    const held = row.heldMs ? `${row.heldMs.p50} / ${row.heldMs.max}` : '—';
    lines.push(
      `  ${kind.padEnd(10)}${String(row.addresses).padStart(11)}${String(row.attempted).padStart(11)}` +
        `${String(row.held).padStart(7)}${String(row.closedByGateway).padStart(19)}${held.padStart(20)}` +
        `${String(row.deadlineMs).padStart(14)}`,
    );
  }
  const health = result.health;
  lines.push(
    `  legitimate client: WebSocket tunnel ${result.legitimate.websocket}, relay tunnel ${result.legitimate.relay}`,
    `  /jet/health under load: ${health ? `${health.ok} ok, p50 ${health.p50Ms} ms, max ${health.maxMs} ms` : 'no answer'}`,
    `  every held connection closed by the gateway: ${result.allClosedByGateway ? 'yes' : 'NO'}`,
  );
  return `${lines.join('\n')}\n`;
}
