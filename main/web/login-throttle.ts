/**
 * The web admin's password-guessing brake. Counted per client unit (`addressGroup`: an IPv4 address, an IPv6 /64, so
 * rotating addresses inside one's own /64 gains nothing) and progressive rather than a hard lock: a few failures are
 * free, then each further try waits twice as long as the one before, up to a ceiling. Behind NAT the owner shares
 * the unit with an attacker, so the wait is bounded and never a lock-out: once it has passed, the right password
 * logs in (a login clears the count).
 */
import { addressGroup } from '../net/ip-address.ts';

/** Failed logins a client may make before it is slowed down. */
export const LOGIN_FREE_FAILURES = 5;
/** The wait after the first failure beyond the free ones; it doubles with every further failure. */
export const LOGIN_BASE_DELAY_MS = 1_000;
/** The longest wait between two tries (the bound an attacker sharing the owner's address can impose). */
export const LOGIN_MAX_DELAY_MS = 5 * 60 * 1000;
/** A client with no failure for this long starts afresh. */
export const LOGIN_FORGET_AFTER_MS = 60 * 60 * 1000;
/** Clients tracked at once; the least recently failed is forgotten first (bounded memory under a spray). */
export const MAX_THROTTLED_CLIENTS = 10_000;

interface Entry {
  failures: number;
  lastFailureMs: number;
}

export interface LoginThrottleOptions {
  readonly now?: () => number;
}

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Seconds `address` must wait before its next try; 0 when it may try now. No password is checked meanwhile. */
  retryAfterSeconds(address: string): number {
    const entry = this.#entry(addressGroup(address));
    if (!entry || entry.failures < LOGIN_FREE_FAILURES) return 0;
    const waitMs = entry.lastFailureMs + delayMs(entry.failures) - this.#now();
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  recordFailure(address: string): void {
    const key = addressGroup(address);
    const entry = this.#entry(key) ?? { failures: 0, lastFailureMs: 0 };
    entry.failures += 1;
    entry.lastFailureMs = this.#now();
    // Re-inserted last: the map's order is least recently failed first.
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_THROTTLED_CLIENTS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, entry);
  }

  recordSuccess(address: string): void {
    this.#entries.delete(addressGroup(address));
  }

  #entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#now() - entry.lastFailureMs >= LOGIN_FORGET_AFTER_MS) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** The wait after the `failures`-th failure (at least LOGIN_FREE_FAILURES of them). */
function delayMs(failures: number): number {
  const doublings = Math.min(failures - LOGIN_FREE_FAILURES, 30);
  return Math.min(LOGIN_MAX_DELAY_MS, LOGIN_BASE_DELAY_MS * 2 ** doublings);
}
