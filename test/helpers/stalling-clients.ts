/**
 * Clients that connect and then stall, each bound to an attacker address in 127.0.0.0/8, for the resource-limit
 * load test (test/e2e/resource-limits.test.ts) and its full-size bench phase (bench/phases/resource-limits.ts):
 *
 * - `silent`: a TCP connection to the HTTPS listener that never sends a byte (the TLS handshake deadline);
 * - `slowHead`: a finished TLS handshake, then a request head a byte at a time (the absolute head deadline);
 * - `halfOpen`: a legacy `RDG_OUT_DATA` answered 200, whose `RDG_IN_DATA` never comes (the pairing deadline);
 * - `slowPdu`: a preconnection PDU to the relay a byte at a time (the PDU deadline).
 *
 * Each kind has addresses of its own, so which kind holds a per-address place does not depend on timing. Kinds are
 * opened one after the other, addresses in parallel, and each address one connection at a time: a connection has
 * held its place or been refused before the next one from that address is opened. Each connection records when it
 * connected, whether it held a place, and when it was closed; the attacker itself closes nothing before `stop()`.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { legacyRequestHead } from './legacy-client.ts';

export type StallKind = 'silent' | 'slowHead' | 'halfOpen' | 'slowPdu';
/** The order kinds are opened in: a legacy OUT channel needs a pending place on the HTTPS listener for a moment. */
export const STALL_KINDS: readonly StallKind[] = ['halfOpen', 'slowPdu', 'slowHead', 'silent'];

export interface StallGroup {
  /** Source addresses, one attacker each. */
  readonly addresses: readonly string[];
  /** Connections opened from each address. */
  readonly perAddress: number;
}

export interface StallPlan {
  readonly gatewayPort: number;
  readonly relayPort: number;
  readonly kinds: Readonly<Record<StallKind, StallGroup>>;
  /** A byte every this many milliseconds on the trickling kinds (the first one at once). */
  readonly dripMs: number;
  /** Addresses opening their connections at once (default: every address of the kind). */
  readonly parallelAddresses?: number;
}

/**
 * `count` loopback addresses, the `first`-th attacker's first: 127.0.0.2, 127.0.0.3, ... 127.0.0.254, 127.0.1.1, ...
 * (127.0.0.1 is the legitimate client's; no address ends in .0 or .255).
 */
export function attackerAddresses(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, k) => {
    const n = first + k + 1;
    return `127.0.${Math.floor(n / 254)}.${(n % 254) + 1}`;
  });
}

interface StallConnection {
  readonly kind: StallKind;
  readonly address: string;
  /** When TCP connected (the gateway's deadlines count from its accept, a moment before). */
  connectedAt?: number;
  /** Set once it got as far as it goes: connected (silent, slowPdu), TLS done (slowHead), 200 (halfOpen). */
  reached: boolean;
  /** Set by `settle()` when it was still open then: it held a place while the attack stood. */
  held: boolean;
  closedAt?: number;
  /** Closed by `stop()`, not by the gateway. */
  closedByUs: boolean;
}

export interface StallKindFigures {
  readonly attempted: number;
  /** Connections that held a place when the attack stood (see `settle()`; the rest were refused at the door). */
  readonly held: number;
  /** Held connections the gateway closed (before `stop()`). */
  readonly closedByGateway: number;
  /** Held connections open now. */
  readonly open: number;
  /** How long the gateway let held connections live, from connect to close: median and longest, in ms. */
  readonly heldMs: { readonly p50: number; readonly max: number } | undefined;
}

export class StallAttack {
  readonly #connections: StallConnection[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  /** Opens every connection of `plan` and returns once each has held its place or been refused. */
  static async start(plan: StallPlan): Promise<StallAttack> {
    const attack = new StallAttack();
    for (const kind of STALL_KINDS) {
      const { addresses, perAddress } = plan.kinds[kind];
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let address = addresses[next++]; address !== undefined; address = addresses[next++]) {
          for (let i = 0; i < perAddress && !attack.#stopped; i++) await attack.#open(kind, address, plan);
        }
      };
      await Promise.all(Array.from({ length: Math.min(plan.parallelAddresses ?? Infinity, addresses.length) }, worker));
    }
    return attack;
  }

  /** Connections of each kind open now, past their last step. */
  holding(): Record<StallKind, number> {
    const counts = { silent: 0, slowHead: 0, halfOpen: 0, slowPdu: 0 };
    for (const connection of this.#connections) {
      if (connection.reached && connection.closedAt === undefined) counts[connection.kind] += 1;
    }
    return counts;
  }

  /**
   * Waits for the refused connections to go (the gateway closes them a moment after they connected): polls every
   * 50 ms until `holding()` equals `expected` (or, without it, has not changed for a second), at most `timeoutMs`.
   * The connections open then are the ones that held a place; returns their count.
   */
  async settle(
    expected: Readonly<Record<StallKind, number>> | undefined,
    timeoutMs: number,
  ): Promise<Record<StallKind, number>> {
    const deadline = Date.now() + timeoutMs;
    let last = JSON.stringify(this.holding());
    let stableSince = Date.now();
    for (;;) {
      const now = this.holding();
      const text = JSON.stringify(now);
      if (text !== last) [last, stableSince] = [text, Date.now()];
      const settled = expected
        ? STALL_KINDS.every((kind) => now[kind] === expected[kind])
        : Date.now() - stableSince >= 1_000;
      if (settled || Date.now() > deadline) {
        for (const connection of this.#connections) {
          connection.held = connection.reached && connection.closedAt === undefined;
        }
        return now;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves true once every connection has been closed by the gateway, false after `timeoutMs` (polled). */
  async allClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#connections.some((connection) => connection.closedAt === undefined)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  figures(): Record<StallKind, StallKindFigures> {
    const result = {} as Record<StallKind, StallKindFigures>;
    for (const kind of STALL_KINDS) {
      const all = this.#connections.filter((connection) => connection.kind === kind);
      const held = all.filter((connection) => connection.held);
      const lifetimes = held
        .filter((connection) => connection.closedAt !== undefined && !connection.closedByUs)
        .map((connection) => (connection.closedAt ?? 0) - (connection.connectedAt ?? 0))
        .sort((a, b) => a - b);
      result[kind] = {
        attempted: all.length,
        held: held.length,
        closedByGateway: lifetimes.length,
        open: held.filter((connection) => connection.closedAt === undefined).length,
        heldMs:
          lifetimes.length === 0
            ? undefined
            : { p50: lifetimes[Math.floor((lifetimes.length - 1) / 2)] ?? 0, max: lifetimes.at(-1) ?? 0 },
      };
    }
    return result;
  }

  /** Stops every trickle and destroys whatever is still open. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    for (const connection of this.#connections) if (connection.closedAt === undefined) connection.closedByUs = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Opens one connection; resolves once it holds its place or is closed. */
  async #open(kind: StallKind, address: string, plan: StallPlan): Promise<void> {
    const connection: StallConnection = { kind, address, reached: false, held: false, closedByUs: false };
    this.#connections.push(connection);
    const port = kind === 'slowPdu' ? plan.relayPort : plan.gatewayPort;
    const tcp = netConnect({ host: '127.0.0.1', port, localAddress: address });
    this.#sockets.add(tcp);
    tcp.on('error', () => undefined);
    const closed = new Promise<void>((resolve) =>
      tcp.once('close', () => {
        this.#sockets.delete(tcp);
        connection.closedAt = Date.now();
        resolve();
      }),
    );
    const connected = await Promise.race([
      new Promise<boolean>((resolve) => tcp.once('connect', () => resolve(true))),
      closed.then(() => false),
    ]);
    if (!connected) return;
    connection.connectedAt = Date.now();
    if (kind === 'silent') {
      connection.reached = true;
      return;
    }
    if (kind === 'slowPdu') {
      connection.reached = true;
      this.#trickle(tcp, encodePreconnectionPdu(`stalled-${'x'.repeat(200)}`), plan.dripMs);
      return;
    }
    const socket = tlsConnect({ socket: tcp, servername: 'localhost', rejectUnauthorized: false });
    socket.on('error', () => undefined);
    const secure = await Promise.race([
      new Promise<boolean>((resolve) => socket.once('secureConnect', () => resolve(true))),
      closed.then(() => false),
    ]);
    if (!secure) return;
    if (kind === 'slowHead') {
      connection.reached = true;
      this.#trickle(socket, Buffer.from(`GET /jet/health HTTP/1.1\r\nX-Slow: ${'a'.repeat(4000)}`), plan.dripMs);
      return;
    }
    socket.write(legacyRequestHead('RDG_OUT_DATA', `{${randomUUID()}}`));
    const status = await Promise.race([
      new Promise<string>((resolve) =>
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1', 0, 12))),
      ),
      closed.then(() => ''),
    ]);
    // From the 200 on, what it holds is its place in the pairing table; a 503 is the cap refusing it.
    connection.reached = status.startsWith('HTTP/1.1 200') && connection.closedAt === undefined;
    socket.resume();
  }

  #trickle(socket: Socket, bytes: Buffer, dripMs: number): void {
    let sent = 0;
    const drip = (): void => {
      if (socket.destroyed || sent >= bytes.length) {
        clearInterval(timer);
        this.#timers.delete(timer);
        return;
      }
      socket.write(bytes.subarray(sent, ++sent));
    };
    const timer = setInterval(drip, dripMs);
    this.#timers.add(timer);
    drip();
  }
}
