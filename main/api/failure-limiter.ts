/** Authentication failures allowed per client address within the window before it gets 429s. */
export const MAX_AUTH_FAILURES = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; the oldest is forgotten first (bounded memory under a spray of addresses). */
export const MAX_TRACKED_CLIENTS = 10_000;

interface Window {
  startMs: number;
  failures: number;
}

/**
 * Slows token guessing and scanning: each client address may fail authentication a limited number of times per
 * window; after that every authenticated route answers 429 until the window ends, without checking any token.
 */
export class FailureLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #keyOf: (client: string) => string;

  /** `keyOf` names the unit counted for a client (the client itself when absent). */
  constructor(
    options: { maxFailures?: number; windowMs?: number; now?: () => number; keyOf?: (client: string) => string } = {},
  ) {
    this.#maxFailures = options.maxFailures ?? MAX_AUTH_FAILURES;
    this.#windowMs = options.windowMs ?? AUTH_FAILURE_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.#keyOf = options.keyOf ?? ((client) => client);
  }

  /** Seconds until `client` may try again, or 0 when it may try now. */
  retryAfterSeconds(client: string): number {
    const window = this.#current(this.#keyOf(client));
    if (!window || window.failures < this.#maxFailures) return 0;
    return Math.max(1, Math.ceil((window.startMs + this.#windowMs - this.#now()) / 1000));
  }

  recordFailure(client: string): void {
    const key = this.#keyOf(client);
    let window = this.#current(key);
    if (!window) {
      if (this.#windows.size >= MAX_TRACKED_CLIENTS) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      window = { startMs: this.#now(), failures: 0 };
      this.#windows.set(key, window);
    }
    window.failures += 1;
  }

  #current(key: string): Window | undefined {
    const window = this.#windows.get(key);
    if (window && this.#now() - window.startMs >= this.#windowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }
}
