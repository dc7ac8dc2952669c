/** Small building blocks for reliable teardown. */

/**
 * Runs `steps` one after another; every step runs even if an earlier one failed (a failed server stop
 * must not leave its Xvfb running). Throws the first failure, or an AggregateError for several.
 */
export async function runCleanupSteps(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} cleanup steps failed`);
}

/** Wraps `fn` so that every call after the first returns the first call's promise (idempotent stop). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => {
    promise ??= fn();
    return promise;
  };
}
