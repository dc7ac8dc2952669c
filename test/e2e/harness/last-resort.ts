/**
 * The harness's last line of defence: synchronous callbacks that run when the test process ends — on
 * `exit`, and on SIGINT/SIGTERM/SIGHUP, which skip `exit`. Used to SIGKILL leftover process groups and to
 * remove leftover temporary directories when a test forgot to stop something or the run was interrupted.
 *
 * This module (with the registries of its callers) is the harness's only mutable module-level state, on
 * purpose: it must see everything the test process started, whichever test started it.
 */

/** Signals that end the test process (Ctrl-C, the runner's SIGTERM, a closed terminal). */
const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Processes are killed before files are removed, so that nothing writes into a directory being removed. */
export type ProcessEndPhase = 'kill' | 'remove';

const callbacks: Record<ProcessEndPhase, (() => void)[]> = { kill: [], remove: [] };
let installed = false;

function runAll(): void {
  // Each callback once, kills first; one failure must not skip the others.
  for (const callback of [...callbacks.kill.splice(0), ...callbacks.remove.splice(0)]) {
    try {
      callback();
    } catch {
      // Best effort while the test process goes down.
    }
  }
}

/**
 * Registers `callback` to run when the process ends. It must be synchronous: nothing asynchronous runs
 * during `exit`.
 */
export function atProcessEnd(phase: ProcessEndPhase, callback: () => void): void {
  callbacks[phase].push(callback);
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  // Kill and clean, then re-raise: our listener is gone (`once`), so the signal takes its default action
  // (or reaches any other listener) as if we had never been here.
  for (const signal of TERMINATING_SIGNALS) {
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal);
    });
  }
}
