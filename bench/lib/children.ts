/**
 * Child processes of the bench: each is spawned in its own process group (so nginx's workers go with their master)
 * and every group is killed when the bench ends — normally, on an error, on Ctrl-C or at the hard deadline.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: children run from it. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** How long a child gets to exit after SIGTERM before its whole group is killed. */
const STOP_GRACE_MS = 5_000;

const running = new Set<ChildProcess>();
/** Run when the bench is interrupted (Ctrl-C) or hits its deadline, after the children are killed. */
const interruptCleanups: (() => void)[] = [];
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Kills every child still running (synchronous: also used from the 'exit' handler). */
export function killAllChildren(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping the children\n`);
      killAllChildren();
      runInterruptCleanups();
      process.exit(130);
    });
  }
}

/** Registers a synchronous cleanup (a temporary folder) for an interrupted run; normal ends clean up themselves. */
export function onInterrupt(cleanup: () => void): void {
  installHooks();
  interruptCleanups.push(cleanup);
}

function runInterruptCleanups(): void {
  for (const cleanup of interruptCleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is ending.
    }
  }
}

/** Spawns `command` in a new process group, tracked until it exits. */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installHooks();
  const child = spawn(command, args, { ...options, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // A detached child would otherwise keep the bench alive; the bench decides when it ends.
  child.unref();
  return child;
}

/** Resolves once the child has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then (after a grace period) SIGKILL to the whole group; resolves when the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
  // Workers of a group whose leader exited (nginx) must not outlive it.
  killGroup(child, 'SIGKILL');
  running.delete(child);
}

/** Arms the bench's hard deadline: past it every child is killed and the bench exits with status 1. */
export function armDeadline(ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    process.stderr.write(`bench: hard deadline of ${Math.round(ms / 1000)} s reached, stopping\n`);
    killAllChildren();
    runInterruptCleanups();
    process.exit(1);
  }, ms);
  timer.unref();
  return timer;
}

/** Waits for a line on the child's stdout matching `pattern`, bounded; rejects if the child exits first. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error: Error | undefined, match?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(match as RegExpExecArray);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const match = pattern.exec(text);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null): void =>
      finish(new Error(`${what} exited (status ${code}) before it was ready`));
    const timer = setTimeout(() => finish(new Error(`${what} was not ready within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts a target process (bench/target-server.ts) and resolves with its port once it listens. */
export async function startTarget(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/target-server.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the target did not start within 20 s')), 20_000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => reject(new Error(`the target exited (status ${code}) before it was ready`)));
  });
  return { child, port };
}
