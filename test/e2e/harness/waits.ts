import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, HarnessTimeoutError } from './errors.ts';

export { sleep };

/**
 * Resolves with `true` if `promise` settles (either way) within `timeoutMs`, else `false`.
 * The timer is cleared either way so that it never holds the event loop open.
 */
export async function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const settled = promise.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a HarnessTimeoutError naming `what` once `timeoutMs` has passed. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new HarnessTimeoutError(`${what}: no result after ${timeoutMs} ms`, timeoutMs)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PollOptions {
  /** Overall bound; the poll gives up with a HarnessTimeoutError after this. */
  readonly timeoutMs: number;
  /** Pause between attempts. */
  readonly intervalMs: number;
  /** Names the condition in the timeout message. */
  readonly what: string;
  /** Called before each attempt; a returned string stops the poll with that reason (for example "process exited"). */
  readonly abortIf?: () => string | undefined;
}

/**
 * Calls `probe` until it returns something other than `undefined`. Bounded twice: by `timeoutMs` and by
 * the number of attempts that interval allows, so a probe that itself takes long cannot loop forever.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  const maxAttempts = Math.ceil(options.timeoutMs / Math.max(1, options.intervalMs)) + 1;
  for (let attempt = 0; attempt < maxAttempts && performance.now() < deadline; attempt += 1) {
    const abortReason = options.abortIf?.();
    if (abortReason !== undefined) throw new HarnessError(`${options.what}: gave up, ${abortReason}`);
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(options.intervalMs);
  }
  throw new HarnessTimeoutError(`${options.what}: not reached within ${options.timeoutMs} ms`, options.timeoutMs);
}
