/**
 * Errors thrown by the e2e harness. Messages name the process and carry the tail of its output, because an
 * e2e failure is usually diagnosed from what the real program printed.
 */
export class HarnessError extends Error {
  override readonly name: string = 'HarnessError';
}

/** A bounded wait ran out of time. `timeoutMs` is the bound that was used. */
export class HarnessTimeoutError extends HarnessError {
  override readonly name: string = 'HarnessTimeoutError';

  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** Required programs are not installed (thrown instead of skipping when `CI=true`). */
export class MissingToolsError extends HarnessError {
  override readonly name: string = 'MissingToolsError';

  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
  }
}
