/**
 * The table of half-open legacy tunnels: the first channel of a pair (normally OUT) waits here, bounded in time and
 * in number, until its partner with the same `RDG-Connection-Id` arrives from the same client.
 *
 * A connection id is not unique: FreeRDP 3 has reused one across its tunnels (FreeRDP issue #12918), and any client
 * can send any id. So the table is keyed by id *and* client address (after trusted proxies): two clients with the
 * same id pair separately, a tunnel that is live does not block its id, and a stranger who learns an id can neither
 * join another client's waiting channel nor squat the id for it (its channel only waits for a partner of its own).
 * The access token is only seen inside the tunnel, after pairing (no HTTP authentication with PAA), so the client
 * address is what the pairing is bound to; each tunnel then authenticates its own token.
 * A client that opens channels and never completes them cannot hold memory or sockets (per-pair timeout, a cap on
 * pending pairs overall and per client address, per /64 for IPv6, with the heaviest address evicted first when
 * the overall cap is full; see `PendingLimiter`).
 */
import type { Socket } from 'node:net';
import { PendingLimiter, type PendingSlot } from '../../util/pending-limiter.ts';

export type LegacyRole = 'out' | 'in';

/** One channel as the table sees it. */
export interface PendingChannel {
  readonly role: LegacyRole;
  /** The normalised `RDG-Connection-Id`. */
  readonly id: string;
  /** The resolved client address (after trusted proxies). */
  readonly clientAddress: string;
  readonly socket: Socket;
}

/** Read at each offer (the settings' `limits`; see main/config/schema.ts). FreeRDP opens IN about 5 ms after OUT. */
export interface PairingLimits {
  /** How long the first channel of a pair waits for its partner. */
  readonly legacyPairSeconds: number;
  readonly maxHalfOpenLegacyPairs: number;
  readonly maxHalfOpenLegacyPairsPerAddress: number;
}

/** Why a channel was turned away, with the HTTP status that says so. */
export interface PairingRefusal {
  readonly status: 409 | 503;
  readonly reason: 'duplicate-channel' | 'too-many-pending';
}

export type OfferResult<Channel extends PendingChannel> =
  | { readonly outcome: 'refused'; readonly refusal: PairingRefusal }
  | { readonly outcome: 'waiting' }
  | { readonly outcome: 'paired'; readonly out: Channel; readonly in: Channel };

interface Pending<Channel extends PendingChannel> {
  readonly channel: Channel;
  readonly timer: NodeJS.Timeout;
  readonly slot: PendingSlot;
  readonly onClose: () => void;
}

export class LegacyPairRegistry<Channel extends PendingChannel> {
  /** By `pairKey`. */
  readonly #pending = new Map<string, Pending<Channel>>();
  readonly #limits: () => PairingLimits;
  readonly #places: PendingLimiter;
  readonly #onExpired: (channel: Channel) => void;

  constructor(limits: () => PairingLimits, onExpired: (channel: Channel) => void = () => undefined) {
    this.#limits = limits;
    this.#places = new PendingLimiter(() => {
      const current = limits();
      return { max: current.maxHalfOpenLegacyPairs, maxPerAddress: current.maxHalfOpenLegacyPairsPerAddress };
    });
    this.#onExpired = onExpired;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Whether a channel with this role, id and client would be accepted now (nothing is recorded). */
  check(role: LegacyRole, id: string, clientAddress: string): PairingRefusal | undefined {
    const waiting = this.#pending.get(pairKey(id, clientAddress))?.channel;
    if (waiting?.role === role) return { status: 409, reason: 'duplicate-channel' };
    return undefined;
  }

  /** Records a channel: it waits for its partner, completes a pair, or is refused (the caller answers the client). */
  offer(channel: Channel): OfferResult<Channel> {
    const refusal = this.check(channel.role, channel.id, channel.clientAddress);
    if (refusal) return { outcome: 'refused', refusal };
    const key = pairKey(channel.id, channel.clientAddress);
    const waiting = this.#pending.get(key);
    if (waiting) {
      this.#remove(waiting);
      const pair =
        channel.role === 'out' ? { out: channel, in: waiting.channel } : { out: waiting.channel, in: channel };
      return { outcome: 'paired', ...pair };
    }
    const expire = (): void => {
      this.#remove(entry);
      channel.socket.destroy();
      this.#onExpired(channel);
    };
    const slot = this.#places.admit(channel.clientAddress, expire);
    if (!slot) return { outcome: 'refused', refusal: { status: 503, reason: 'too-many-pending' } };
    const entry: Pending<Channel> = {
      channel,
      slot,
      timer: setTimeout(expire, this.#limits().legacyPairSeconds * 1000).unref(),
      // A channel that goes away while it waits frees its slot at once.
      onClose: () => this.#remove(entry),
    };
    this.#pending.set(key, entry);
    channel.socket.once('close', entry.onClose);
    return { outcome: 'waiting' };
  }

  /** Drops every waiting channel (shutdown). Pairs already made belong to their tunnels. */
  close(): void {
    for (const entry of [...this.#pending.values()]) {
      this.#remove(entry);
      entry.channel.socket.destroy();
    }
  }

  #remove(entry: Pending<Channel>): void {
    const { channel } = entry;
    const key = pairKey(channel.id, channel.clientAddress);
    if (this.#pending.get(key) !== entry) return;
    clearTimeout(entry.timer);
    channel.socket.off('close', entry.onClose);
    this.#pending.delete(key);
    entry.slot.release();
  }
}

/** A waiting channel's place in the table: its connection id and its client (a space cannot occur in either). */
function pairKey(id: string, clientAddress: string): string {
  return `${id} ${clientAddress}`;
}
