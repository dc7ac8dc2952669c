import { TOKEN_CLOCK_LEEWAY_SECONDS } from './tokens.ts';

/**
 * RDP clients open more than one TCP connection with the same preconnection PDU during security negotiation
 * (FreeRDP re-sends it on every retry), so a single-use token must survive a few quick reuses. Devolutions Gateway
 * allows an RDP token to be reused for 10 s; we do the same, from the same client address only, and count them.
 */
export const DEFAULT_REUSE_WINDOW_SECONDS = 10;
/** Reuses allowed inside the window (Devolutions caps reconnections per window at 10). */
export const DEFAULT_MAX_REUSES = 10;
/**
 * Tokens remembered at once. Only tokens that passed every other check are remembered, each until it expires,
 * so reaching this takes a flood of valid tokens; the cache then refuses new tokens rather than forget old ones
 * (forgetting would let them be replayed).
 */
export const MAX_TRACKED_TOKENS = 100_000;
/** Expired entries are swept at most this often (and whenever the cache is full). */
const SWEEP_INTERVAL_MS = 60_000;

export interface ReplayCacheOptions {
  /** Read on every use, so a settings change applies at once. 0 makes tokens strictly single-use. */
  readonly reuseWindowSeconds: () => number;
  readonly maxReuses: () => number;
  readonly maxTracked?: number;
  /** Uses saved before a restart (ReplayJournal), so a token used then is still refused. */
  readonly restored?: Iterable<RememberedUse>;
  /** Called with each first use before it is allowed (ReplayJournal.record saves it), and all those remembered. */
  readonly onRemember?: (use: RememberedUse, remembered: () => Iterable<RememberedUse>) => void;
}

/** One remembered first use, as saved across restarts. */
export interface RememberedUse {
  readonly jti: string;
  readonly address: string;
  readonly firstUseMs: number;
  readonly forgetAtMs: number;
}

interface TokenUse {
  readonly clientAddress: string;
  readonly firstUseMs: number;
  /** After this the token no longer verifies, so its entry can go. */
  readonly forgetAtMs: number;
  reuses: number;
}

/**
 * Remembers the `jti` of every single-use token used (ASSOCIATION, single-use PAA), to refuse replays. With a
 * journal (`onRemember`, `restored`) a restart remembers them too; reconnection counts start again after one.
 */
export class ReplayCache {
  readonly #uses = new Map<string, TokenUse>();
  readonly #options: ReplayCacheOptions;
  readonly #maxTracked: number;
  #lastSweepMs = 0;

  constructor(options: ReplayCacheOptions) {
    this.#options = options;
    this.#maxTracked = options.maxTracked ?? MAX_TRACKED_TOKENS;
    for (const use of options.restored ?? []) {
      if (this.#uses.size >= this.#maxTracked) break;
      this.#uses.set(use.jti, {
        clientAddress: use.address,
        firstUseMs: use.firstUseMs,
        forgetAtMs: use.forgetAtMs,
        reuses: 0,
      });
    }
  }

  /** The first uses still remembered (what a journal keeps when it compacts). */
  *remembered(): Iterable<RememberedUse> {
    for (const [jti, use] of this.#uses) {
      yield { jti, address: use.clientAddress, firstUseMs: use.firstUseMs, forgetAtMs: use.forgetAtMs };
    }
  }

  get size(): number {
    return this.#uses.size;
  }

  /**
   * Records one use of token `jti` by `clientAddress`. Answers undefined when the use is allowed, else why not.
   * Allowed: the first use; later uses from the same address within the reuse window of the first, at most
   * `maxReuses` of them. A use from another address is refused at once: that is a stolen token.
   */
  use(jti: string, clientAddress: string, expiresAtSeconds: number, now: Date): string | undefined {
    const nowMs = now.getTime();
    const address = normalizeAddress(clientAddress);
    const key = jti.toLowerCase();
    this.#sweep(nowMs);
    const seen = this.#uses.get(key);
    if (!seen) {
      if (this.#uses.size >= this.#maxTracked) {
        this.#sweep(nowMs, true);
        if (this.#uses.size >= this.#maxTracked) return 'too many tokens in use; try again later';
      }
      const forgetAtMs = (expiresAtSeconds + TOKEN_CLOCK_LEEWAY_SECONDS) * 1000;
      this.#options.onRemember?.({ jti: key, address, firstUseMs: nowMs, forgetAtMs }, () => this.remembered());
      this.#uses.set(key, { clientAddress: address, firstUseMs: nowMs, forgetAtMs, reuses: 0 });
      return undefined;
    }
    if (seen.clientAddress !== address) return 'from another client address';
    const windowMs = this.#options.reuseWindowSeconds() * 1000;
    if (nowMs - seen.firstUseMs > windowMs) {
      return `the ${this.#options.reuseWindowSeconds()} s reconnection window is over`;
    }
    if (seen.reuses >= this.#options.maxReuses()) {
      return `more than ${this.#options.maxReuses()} reconnections in the window`;
    }
    seen.reuses += 1;
    return undefined;
  }

  #sweep(nowMs: number, force = false): void {
    if (!force && nowMs - this.#lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.#lastSweepMs = nowMs;
    for (const [key, use] of this.#uses) if (use.forgetAtMs < nowMs) this.#uses.delete(key);
  }
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are the same client (a dual-stack listener reports the former). */
function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}
