/**
 * Child processes for e2e tests: each runs in its own process group, its output is captured (bounded), every
 * wait has a timeout, and stopping kills the whole group.
 *
 * Cleanup, in three layers:
 * 1. The test registers `t.after(() => handle.stop())` right after each start; node:test runs `after` hooks
 *    even when the test fails or throws. `stop()` is idempotent: SIGTERM to the group, SIGKILL after a grace
 *    period, and always a final SIGKILL sweep of the group so that grandchildren cannot outlive it.
 * 2. Start functions that start several processes (shadow server = Xvfb + server) clean up what they
 *    already started before rethrowing, so a failed start leaves nothing behind for the test to stop.
 * 3. A last-resort hook (last-resort.ts) SIGKILLs every group that is still live when the test process
 *    exits or gets SIGINT/SIGTERM/SIGHUP: children are detached (their own group, so that group kills
 *    work), which also means they would not die with the test process on their own. Children and their
 *    pipes are unref'd, so a test that forgets to stop something does not hang the test file: the loop
 *    ends and the hook runs. Nothing helps against SIGKILL of the test process itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { HarnessError, HarnessTimeoutError } from './errors.ts';
import { atProcessEnd } from './last-resort.ts';
import { OutputCapture, type OutputLine } from './output-capture.ts';
import { settlesWithin } from './waits.ts';

export interface ExitStatus {
  /** Exit code, or null when the process was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnManagedOptions {
  /** Label used in messages; defaults to the command. */
  readonly name?: string;
  /** The complete environment of the child; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra pipes after stdin/stdout/stderr (fd 3, 4, ...), readable through `extraPipe(fd)`. */
  readonly extraPipes?: number;
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null (EOF at once). */
  readonly stdin?: string;
}

export interface StopOptions {
  /** First signal sent to the group. */
  readonly signal?: NodeJS.Signals;
  /** How long to wait after the first signal before SIGKILL. */
  readonly graceMs?: number;
}

export const DEFAULT_STOP_GRACE_MS = 2_000;
/** After SIGKILL a process can only survive in uninterruptible sleep; give up (loudly) after this. */
const KILL_WAIT_MS = 5_000;
/** After `exit`, how long to wait for stdout/stderr to close so that the captured output is complete. */
const CLOSE_AFTER_EXIT_MS = 1_000;

/** Process groups started here and not yet swept, by group id (= leader pid). */
const liveGroups = new Map<number, string>();
/** Every group ever started in this test process, for leak checks at the end of a test file. */
const spawnHistory: { readonly pid: number; readonly name: string }[] = [];
let lastResortRegistered = false;

function killAllLiveGroups(): void {
  for (const pgid of liveGroups.keys()) {
    try {
      signalGroup(pgid, 'SIGKILL');
    } catch {
      // One failure must not spare the other groups.
    }
  }
  liveGroups.clear();
}

/** Sends `signal` to every process in group `pgid`; `false` if the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function unrefStream(stream: unknown): void {
  if (typeof stream === 'object' && stream !== null && 'unref' in stream && typeof stream.unref === 'function') {
    (stream as { unref(): void }).unref();
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `exit code ${String(status.code)}`;
}

/** A child process in its own process group. Create with `ManagedProcess.start`. */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  /** `performance.now()` at spawn. */
  readonly startedAtMs: number;

  readonly #child: ChildProcess;
  readonly #output = new OutputCapture();
  readonly #lineListeners = new Set<(line: OutputLine) => void>();
  #exitStatus: ExitStatus | undefined;
  #exitedAtMs: number | undefined;
  /** Resolves once the process has exited and its output is complete (or `CLOSE_AFTER_EXIT_MS` passed). */
  readonly #ended: Promise<ExitStatus>;
  #stopping: Promise<ExitStatus> | undefined;

  private constructor(
    child: ChildProcess,
    command: string,
    args: readonly string[],
    name: string,
    startedAtMs: number,
  ) {
    if (child.pid === undefined) throw new HarnessError(`${name}: spawned without a pid`);
    this.pid = child.pid;
    this.#child = child;
    this.command = command;
    this.args = args;
    this.name = name;
    this.startedAtMs = startedAtMs;
    liveGroups.set(this.pid, this.name);
    spawnHistory.push({ pid: this.pid, name: this.name });
    if (!lastResortRegistered) {
      lastResortRegistered = true;
      atProcessEnd('kill', killAllLiveGroups);
    }
    // 'error' after a successful spawn (a failed kill, for example) must not become an uncaught exception;
    // the exit status and the output tell the story.
    this.#child.on('error', () => undefined);

    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.#child[stream];
      readable?.setEncoding('utf8');
      readable?.on('data', (chunk: string) => this.#emitLines(this.#output.append(stream, chunk)));
    }
    // Neither the child nor its pipes keep the test process alive: a test that forgets to stop a process
    // must not hang the test file forever. The event loop then ends, the exit hook kills the group. While a
    // test waits, the wait's own timer keeps the loop alive (every wait has one).
    this.#child.unref();
    for (const stream of this.#child.stdio) unrefStream(stream);

    const exited = new Promise<ExitStatus>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitStatus = { code, signal };
        this.#exitedAtMs = performance.now();
        resolve(this.#exitStatus);
      });
    });
    const closed = new Promise<void>((resolve) => this.#child.once('close', () => resolve()));
    this.#ended = exited.then(async (status) => {
      await settlesWithin(closed, CLOSE_AFTER_EXIT_MS);
      this.#emitLines(this.#output.flush());
      // The leader is gone; kill anything it left in its group and forget the group.
      this.#sweep();
      return status;
    });
  }

  /**
   * Starts `command` in a new process group and resolves once it has been spawned. Rejects with a
   * HarnessError naming the command if it cannot be started at all (for example ENOENT).
   */
  static async start(
    command: string,
    args: readonly string[],
    options: SpawnManagedOptions = {},
  ): Promise<ManagedProcess> {
    const name = options.name ?? command;
    const extra = Array.from({ length: options.extraPipes ?? 0 }, () => 'pipe' as const);
    const startedAtMs = performance.now();
    // detached: the child calls setsid(), so it leads a new process group that we can signal as a whole.
    const child = spawn(command, args, {
      detached: true,
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...extra],
    });
    if (options.stdin !== undefined) {
      // A child that exits before reading it must not fail the harness with EPIPE.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.stdin);
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new HarnessError(`cannot start ${name} (${command}): ${error.message}; see scripts/setup-system.sh`));
      };
      child.once('error', onError);
      child.once('spawn', () => {
        child.off('error', onError);
        resolve();
      });
    });
    // The constructor runs in this microtask, before any I/O callback, so no output or exit event is missed.
    return new ManagedProcess(child, command, args, name, startedAtMs);
  }

  /** The exit status, or `undefined` while the process runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  /**
   * Resolves (never rejects) once the process has exited and its output is complete. It holds nothing
   * open (no timer, and the child is unref'd), so await it only next to a timeout — or use `waitForExit`.
   */
  get ended(): Promise<ExitStatus> {
    return this.#ended;
  }

  get running(): boolean {
    return this.#exitStatus === undefined;
  }

  /** Milliseconds from spawn to exit (or to now while running). */
  get runtimeMs(): number {
    return (this.#exitedAtMs ?? performance.now()) - this.startedAtMs;
  }

  stdout(): string {
    return this.#output.text('stdout');
  }

  stderr(): string {
    return this.#output.text('stderr');
  }

  /** The last lines of output, formatted for an error message. */
  outputTail(lines?: number): string {
    return this.#output.tail(lines);
  }

  /** One line describing the process: name, pid, state. */
  describe(): string {
    const state = this.#exitStatus === undefined ? 'running' : `exited with ${describeExit(this.#exitStatus)}`;
    return `${this.name} (pid ${this.pid}, ${state})`;
  }

  /** The readable end of extra pipe `fd` (3 or higher), see `SpawnManagedOptions.extraPipes`. */
  extraPipe(fd: number): Readable {
    const stream = this.#child.stdio[fd];
    if (!(stream instanceof Readable)) throw new HarnessError(`${this.name} has no readable pipe on fd ${fd}`);
    return stream;
  }

  /**
   * Resolves with the first line (stdout or stderr, newest 2000 lines already seen included) that matches
   * `pattern`. Rejects when the process ends first or after `timeoutMs`; both messages carry the output tail.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    // A global or sticky RegExp keeps lastIndex between test() calls; use a stateless copy.
    const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const seen = this.#output.recentLines().find((line) => matcher.test(line.text));
    if (seen !== undefined) return Promise.resolve(seen.text);
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        this.#lineListeners.delete(onLine);
      };
      const onLine = (line: OutputLine): void => {
        if (done || !matcher.test(line.text)) return;
        finish();
        resolve(line.text);
      };
      const timer = setTimeout(() => {
        if (done) return;
        finish();
        reject(
          new HarnessTimeoutError(
            `${this.describe()}: no line matching ${String(pattern)} within ${timeoutMs} ms; last output:\n${this.outputTail()}`,
            timeoutMs,
          ),
        );
      }, timeoutMs);
      this.#lineListeners.add(onLine);
      void this.#ended.then(() => {
        if (done) return;
        finish();
        reject(
          new HarnessError(
            `${this.describe()} before printing a line matching ${String(pattern)}; last output:\n${this.outputTail()}`,
          ),
        );
      });
    });
  }

  /** Resolves with the exit status once the process has ended; rejects after `timeoutMs` (the process keeps running). */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    if (await settlesWithin(this.#ended, timeoutMs)) return this.#ended;
    throw new HarnessTimeoutError(
      `${this.describe()}: did not exit within ${timeoutMs} ms; last output:\n${this.outputTail()}`,
      timeoutMs,
    );
  }

  /** Sends `signal` to the whole group now; `false` if the group is already gone. */
  signal(signal: NodeJS.Signals): boolean {
    return signalGroup(this.pid, signal);
  }

  /**
   * Stops the whole group: `signal` (SIGTERM), then SIGKILL after `graceMs`, then a SIGKILL sweep.
   * Idempotent; safe to call after the process exited by itself. Rejects only if SIGKILL did not work.
   */
  stop(options: StopOptions = {}): Promise<ExitStatus> {
    this.#stopping ??= this.#stop(options.signal ?? 'SIGTERM', options.graceMs ?? DEFAULT_STOP_GRACE_MS);
    return this.#stopping;
  }

  async #stop(signal: NodeJS.Signals, graceMs: number): Promise<ExitStatus> {
    if (this.#exitStatus === undefined) {
      signalGroup(this.pid, signal);
      if (!(await settlesWithin(this.#ended, graceMs))) {
        signalGroup(this.pid, 'SIGKILL');
        if (!(await settlesWithin(this.#ended, KILL_WAIT_MS))) {
          throw new HarnessError(`${this.describe()}: still running ${KILL_WAIT_MS} ms after SIGKILL`);
        }
      }
    }
    const status = await this.#ended;
    this.#sweep();
    return status;
  }

  #sweep(): void {
    if (!liveGroups.has(this.pid)) return;
    signalGroup(this.pid, 'SIGKILL');
    liveGroups.delete(this.pid);
  }

  #emitLines(lines: readonly OutputLine[]): void {
    for (const line of lines) for (const listener of [...this.#lineListeners]) listener(line);
  }
}

/** Groups started by this test process that have not been stopped or swept yet (name by pgid). */
export function liveProcessGroups(): ReadonlyMap<number, string> {
  return liveGroups;
}

/** Every process group started by this test process so far (leader pid = group id). */
export function spawnedProcessGroups(): readonly { readonly pid: number; readonly name: string }[] {
  return spawnHistory;
}

/**
 * Asks `pgrep` (procps) which processes still exist in the given process groups; `[]` means none.
 * Each entry is "pid command line". Scoped by group id rather than by program name because other
 * sessions on the same machine may run their own Xvfb or xfreerdp.
 */
export async function processesInGroups(pgids: readonly number[], timeoutMs = 5_000): Promise<string[]> {
  if (pgids.length === 0) return [];
  return new Promise<string[]>((resolve, reject) => {
    execFile('pgrep', ['-a', '-g', pgids.join(',')], { timeout: timeoutMs }, (error, stdout) => {
      // pgrep exits 1 when nothing matched.
      if (error !== null && error.code !== 1) {
        reject(new HarnessError(`pgrep failed: ${error.message}`));
        return;
      }
      resolve(stdout.split('\n').filter((line) => line.trim() !== ''));
    });
  });
}
