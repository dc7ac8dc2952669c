/**
 * Caps on connections that have not yet proven anything (a TLS handshake and request head in progress, a
 * preconnection PDU being read, half of a legacy pair): a global cap, and a much smaller one per client address
 * (per /64 for IPv6, see `addressGroup`), so one address cannot take every place.
 *
 * When the global cap is full, a newcomer from an address holding fewer places than the heaviest address takes the
 * oldest place of that heaviest address (among equals, the one whose place is oldest), which is closed. Attacker
 * addresses holding many places then lose them first, while a client holding one or two keeps them.
 */
import { addressGroup } from '../net/ip-address.ts';

export interface PendingCaps {
  /** Places held at once, in all. */
  readonly max: number;
  /** Places held at once by one address group. */
  readonly maxPerAddress: number;
}

/** One place; release it once the connection is past the stage it was held for, or gone. Safe to call twice. */
export interface PendingSlot {
  readonly release: () => void;
}

interface Entry extends PendingSlot {
  readonly evict: () => void;
  /** Admission order, to find the oldest place among equally heavy addresses. */
  readonly sequence: number;
}

export class PendingLimiter {
  readonly #caps: () => PendingCaps;
  /** Each group's entries, oldest first (a Set keeps insertion order). */
  readonly #groups = new Map<string, Set<Entry>>();
  #size = 0;
  #sequence = 0;

  /** `caps` is read at every admission, so a settings change applies to the next connection. */
  constructor(caps: () => PendingCaps) {
    this.#caps = caps;
  }

  /** Places held now. */
  get size(): number {
    return this.#size;
  }

  /**
   * A place for a connection from `address`, or undefined when it must be refused. `evict` closes the connection
   * if its place is taken by a newcomer later (its slot is already released then).
   */
  admit(address: string, evict: () => void): PendingSlot | undefined {
    const { max, maxPerAddress } = this.#caps();
    const key = addressGroup(address);
    const held = this.#groups.get(key)?.size ?? 0;
    if (held >= maxPerAddress) return undefined;
    while (this.#size >= max) {
      const heaviest = this.#heaviest();
      if (!heaviest || heaviest.size <= held) return undefined;
      const [oldest] = heaviest;
      if (!oldest) return undefined;
      oldest.release();
      oldest.evict();
    }
    let group = this.#groups.get(key);
    if (!group) {
      group = new Set();
      this.#groups.set(key, group);
    }
    const members = group;
    let released = false;
    const entry: Entry = {
      evict,
      sequence: this.#sequence++,
      release: () => {
        if (released) return;
        released = true;
        members.delete(entry);
        this.#size -= 1;
        if (members.size === 0 && this.#groups.get(key) === members) this.#groups.delete(key);
      },
    };
    members.add(entry);
    this.#size += 1;
    return entry;
  }

  /** The group holding the most places; among equals, the one with the oldest place. */
  #heaviest(): Set<Entry> | undefined {
    let heaviest: Set<Entry> | undefined;
    let oldest = Infinity;
    for (const group of this.#groups.values()) {
      const [first] = group;
      const sequence = first?.sequence ?? Infinity;
      if (!heaviest || group.size > heaviest.size || (group.size === heaviest.size && sequence < oldest)) {
        heaviest = group;
        oldest = sequence;
      }
    }
    return heaviest;
  }
}
