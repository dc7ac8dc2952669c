/**
 * The table of half-open legacy tunnels: the first channel of a pair (normally OUT) waits here, bounded in time and
 * in number, until its partner with the same `RDG-Connection-Id` arrives.
 *
 * Threats it stops: a stranger who learns a connection id cannot attach a channel to someone else's tunnel (the
 * partner must come from the same client address, and an id in use or already waiting for that role is refused);
 * a client that opens channels and never completes them cannot hold memory or sockets (per-pair timeout, a cap on
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
  readonly status: 403 | 409 | 503;
  readonly reason: 'id-in-use' | 'duplicate-channel' | 'other-client' | 'too-many-pending';
}

export type OfferResult<Channel extends PendingChannel> =
  | { readonly outcome: 'refused'; readonly refusal: PairingRefusal }
  | { readonly outcome: 'waiting' }
  | {
      readonly outcome: 'paired';
      readonly out: Channel;
      readonly in: Channel;
      /** Frees the id once the tunnel has ended; until then a channel with this id is refused. */
      readonly release: () => void;
    };

interface Pending<Channel extends PendingChannel> {
  readonly channel: Channel;
  readonly timer: NodeJS.Timeout;
  readonly slot: PendingSlot;
  readonly onClose: () => void;
}

export class LegacyPairRegistry<Channel extends PendingChannel> {
  readonly #pending = new Map<string, Pending<Channel>>();
  readonly #active = new Set<string>();
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

  get activeCount(): number {
    return this.#active.size;
  }

  /** Whether a channel with this role, id and client would be accepted now (nothing is recorded). */
  check(role: LegacyRole, id: string, clientAddress: string): PairingRefusal | undefined {
    if (this.#active.has(id)) return { status: 409, reason: 'id-in-use' };
    const waiting = this.#pending.get(id)?.channel;
    if (!waiting) return undefined;
    // The address check comes first: a stranger learns nothing about the pair from the answer.
    if (waiting.clientAddress !== clientAddress) return { status: 403, reason: 'other-client' };
    if (waiting.role === role) return { status: 409, reason: 'duplicate-channel' };
    return undefined;
  }

  /** Records a channel: it waits for its partner, completes a pair, or is refused (the caller answers the client). */
  offer(channel: Channel): OfferResult<Channel> {
    const refusal = this.check(channel.role, channel.id, channel.clientAddress);
    if (refusal) return { outcome: 'refused', refusal };
    const waiting = this.#pending.get(channel.id);
    if (waiting) {
      this.#remove(waiting);
      this.#active.add(channel.id);
      const pair =
        channel.role === 'out' ? { out: channel, in: waiting.channel } : { out: waiting.channel, in: channel };
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.#active.delete(channel.id);
      };
      return { outcome: 'paired', ...pair, release };
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
    this.#pending.set(channel.id, entry);
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
    if (this.#pending.get(channel.id) !== entry) return;
    clearTimeout(entry.timer);
    channel.socket.off('close', entry.onClose);
    this.#pending.delete(channel.id);
    entry.slot.release();
  }
}
