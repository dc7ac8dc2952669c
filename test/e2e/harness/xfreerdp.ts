/**
 * FreeRDP as the client in e2e tests, in either flavour (client-flavours.ts; FreeRDP 2.11 unless `options.flavour`
 * says otherwise): one-shot runs (`runXfreerdp`, typically with `+auth-only`), long-lived sessions (`startXfreerdp`),
 * and `attemptSession`, which connects once and says whether a session was held, the same way for both flavours.
 *
 * Arguments: the harness passes exactly the arguments the caller gives, nothing more. Recommended:
 *
 *   [xfreerdpTarget(host, port), ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY]            direct, one-shot
 *   [xfreerdpTarget(host, port), ...XFREERDP_BASE_ARGS, '/g:127.0.0.1:GW', '/gt:http', '/gat:TOKEN', ...]
 *
 * Environment (not arguments) the harness does set, each overridable through `options.env`:
 * - `DISPLAY`: the caller's display, or a private Xvfb started for this client and stopped with it.
 * - `XDG_CONFIG_HOME`: a private temporary directory, so that runs never read or write
 *   /root/.config/freerdp (known hosts, certificates) and cannot influence each other.
 * - `WLOG_FILTER` (the flavour's): makes FreeRDP log its connection state changes
 *   (`... --> CONNECTION_STATE_ACTIVE`), which is how `waitForActive` and `reachedActive` see progress.
 *   At the default level a connected client prints nothing at all.
 * The command is run as `stdbuf -oL -eL xfreerdp ...` (same pid: stdbuf execs): FreeRDP logs INFO/DEBUG to
 * stdout through stdio, which is block-buffered on a pipe, so without it lines arrive late or, when the
 * client is killed, never.
 */
import { FREERDP2, type ClientFlavour } from './client-flavours.ts';
import { once, runCleanupSteps } from './cleanup.ts';
import { HarnessTimeoutError } from './errors.ts';
import { ManagedProcess, type ExitStatus } from './processes.ts';
import { makeTempDir, type TempDir } from './temp-dirs.ts';
import { settlesWithin } from './waits.ts';
import { startXvfb, type XvfbHandle } from './xvfb.ts';

export const XFREERDP_TOOLS: readonly string[] = ['xfreerdp', 'Xvfb', 'stdbuf'];

/**
 * Found by experiment against freerdp-shadow-cli (`/sec:tls -auth`) with FreeRDP 2.11.7 on Debian 12:
 * - `/cert:ignore`: the targets and our gateway use self-signed certificates; without it xfreerdp asks
 *   "Do you trust the above certificate?" on stdin, which the harness leaves at EOF, and fails with 143.
 *   (`/cert-ignore` is the deprecated spelling; same effect.)
 * - `/sec:tls`: offer TLS security only, so the client does not try NLA first. Not strictly needed for the
 *   shadow server (it answers TLS either way), but it makes the negotiation explicit and the same for
 *   every target. (`/sec:nla` against `/sec:tls` fails: exit 133.)
 * - `/u:test /p:test`: any credentials do for the shadow server with `-auth`, but `+auth-only` refuses
 *   to start without `/p:` (exit 136, "auth-only, but no password set").
 * Disabling channels (`-clipboard`, `/audio-mode:2`, `-gfx`, `/network:lan`) or fixing `/kbd:` did not
 * make connections measurably faster, so they are left out. `/timeout:MS` does NOT bound a silent peer.
 */
export const XFREERDP_BASE_ARGS: readonly string[] = ['/cert:ignore', '/sec:tls', '/u:test', '/p:test'];

/** Completes the whole connection sequence (to CONNECTION_STATE_ACTIVE), then exits 0. Needs `/p:`. */
export const XFREERDP_AUTH_ONLY = '+auth-only';

/**
 * xfreerdp exit codes (`XF_EXIT_*` in client/X11/xfreerdp.h) seen here, with what produced them.
 * `+auth-only` runs exit with these mapped codes too, although they log "exit status 1".
 */
export const XFREERDP_EXIT = {
  /** Connected (with +auth-only: reached ACTIVE and left). */
  SUCCESS: 0,
  /** An established session lost its transport: the server (or a gateway) closed or was killed. */
  CONN_FAILED: 131,
  /**
   * Security negotiation or connection failed: client `/sec:nla` against a `/sec:tls` server; also a
   * gateway answering RDG_OUT_DATA with 403/404/500, or closing the connection after the request.
   */
  NEGO_FAILURE: 133,
  /** Refused before connecting, for example `+auth-only` without `/p:`. */
  PRE_CONNECT_FAILED: 136,
  /**
   * TLS failed: gateway port closed, or the gateway closed the connection at once; also an untrusted
   * certificate without `/cert:ignore` (the trust prompt reads EOF from stdin).
   */
  TLS_CONNECT_FAILED: 143,
  /** Direct connection refused or reset; also a wrong password against an NLA shadow server. */
  CONNECT_TRANSPORT_FAILED: 147,
  /** The gateway answered RDG_OUT_DATA with 401 (ERRCONNECT_ACCESS_DENIED). */
  CONNECT_ACCESS_DENIED: 155,
} as const;

/** Matches FreeRDP's log line for reaching the active state (needs the WLOG_FILTER set by this module). */
export const ACTIVE_STATE_LINE = /--> CONNECTION_STATE_ACTIVE\b/;

/** After the timeout, SIGTERM; SIGKILL if the client has not exited after this. */
const KILL_GRACE_MS = 1_000;

/** `/v:host:port`. */
export function xfreerdpTarget(host: string, port: number): string {
  return `/v:${host}:${port}`;
}

export interface XfreerdpResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, excluding the start of a private Xvfb. */
  readonly durationMs: number;
  /** True when the harness killed the client at `timeoutMs`. */
  readonly timedOut: boolean;
}

export interface XfreerdpOptions {
  /** Which client to run (default FreeRDP 2.11). */
  readonly flavour?: ClientFlavour;
  /** Use this display instead of starting a private Xvfb. */
  readonly display?: string;
  /** Added over the harness's environment (see the module comment). */
  readonly env?: Readonly<Record<string, string>>;
  /** The client's stdin (answers to its prompts), then EOF; by default EOF at once. */
  readonly stdin?: string;
}

export interface RunXfreerdpOptions extends XfreerdpOptions {
  /** The client is killed when it has not exited after this long; the result then has `timedOut: true`. */
  readonly timeoutMs: number;
}

/** True if the client logged reaching CONNECTION_STATE_ACTIVE. */
export function reachedActive(result: Pick<XfreerdpResult, 'stdout' | 'stderr'>): boolean {
  return ACTIVE_STATE_LINE.test(result.stdout) || ACTIVE_STATE_LINE.test(result.stderr);
}

/** Summary of a result for assertion messages: exit, duration and the last lines of output. */
export function describeXfreerdpResult(result: XfreerdpResult, tailLines = 25): string {
  const exit = result.signal !== null ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
  const timedOut = result.timedOut ? ', killed at timeout' : '';
  const summary = `xfreerdp ${exit}${timedOut} after ${Math.round(result.durationMs)} ms`;
  return tailLines <= 0 ? summary : `${summary}; last output:\n${lines.slice(-tailLines).join('\n')}`;
}

/**
 * Runs xfreerdp to completion and resolves with its result (never rejects for a non-zero exit; rejects
 * only if it cannot be started). At `timeoutMs` it is killed and the result says `timedOut: true`.
 */
export async function runXfreerdp(args: readonly string[], options: RunXfreerdpOptions): Promise<XfreerdpResult> {
  const client = await startXfreerdp(args, options);
  try {
    const exited = await settlesWithin(client.process.ended, options.timeoutMs);
    if (!exited) await client.process.stop({ graceMs: KILL_GRACE_MS });
    return client.result(!exited);
  } finally {
    await client.stop();
  }
}

export interface XfreerdpClient {
  readonly pid: number;
  readonly display: string;
  readonly process: ManagedProcess;
  readonly running: boolean;
  /** Resolves with the line once the client logs CONNECTION_STATE_ACTIVE; rejects on exit or timeout. */
  waitForActive(timeoutMs: number): Promise<string>;
  /** Resolves with the result once the client exits; rejects (leaving it running) after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<XfreerdpResult>;
  /** Sends `signal` (SIGTERM) to the client, SIGKILL after a grace period; resolves with the result. */
  kill(signal?: NodeJS.Signals): Promise<XfreerdpResult>;
  /** The result so far (exit fields null while running). */
  result(timedOut?: boolean): XfreerdpResult;
  /** Kills the client if needed, stops its private Xvfb, removes its config directory (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts a long-lived xfreerdp (normally without `+auth-only`) and returns as soon as it is spawned.
 * Register `t.after(() => client.stop())` immediately.
 */
export async function startXfreerdp(args: readonly string[], options: XfreerdpOptions = {}): Promise<XfreerdpClient> {
  const flavour = options.flavour ?? FREERDP2;
  let xvfb: XvfbHandle | undefined;
  let configHome: TempDir | undefined;
  try {
    let display = options.display;
    if (display === undefined) {
      xvfb = await startXvfb();
      display = xvfb.display;
    }
    configHome = await makeTempDir('xfreerdp');
    const env = {
      ...process.env,
      DISPLAY: display,
      XDG_CONFIG_HOME: configHome.path,
      WLOG_FILTER: flavour.wlogFilter,
      ...options.env,
    };
    const managed = await ManagedProcess.start('stdbuf', ['-oL', '-eL', flavour.command, ...args], {
      name: flavour.command,
      env,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
    return clientHandle(managed, display, xvfb, configHome);
  } catch (error) {
    await runCleanupSteps([async () => xvfb?.stop(), async () => configHome?.remove()]);
    throw error;
  }
}

function clientHandle(
  client: ManagedProcess,
  display: string,
  xvfb: XvfbHandle | undefined,
  configHome: TempDir,
): XfreerdpClient {
  const result = (timedOut = false): XfreerdpResult => {
    const status: ExitStatus | undefined = client.exitStatus;
    return {
      exitCode: status?.code ?? null,
      signal: status?.signal ?? null,
      stdout: client.stdout(),
      stderr: client.stderr(),
      durationMs: client.runtimeMs,
      timedOut,
    };
  };
  const stop = once(() =>
    runCleanupSteps([
      () => client.stop({ graceMs: KILL_GRACE_MS }),
      async () => xvfb?.stop(),
      () => configHome.remove(),
    ]),
  );
  return {
    pid: client.pid,
    display,
    process: client,
    get running() {
      return client.running;
    },
    waitForActive: (timeoutMs) => client.waitForLine(ACTIVE_STATE_LINE, timeoutMs),
    waitForExit: async (timeoutMs) => {
      await client.waitForExit(timeoutMs);
      return result();
    },
    kill: async (signal = 'SIGTERM') => {
      await client.stop({ signal, graceMs: KILL_GRACE_MS });
      return result();
    },
    result,
    stop,
  };
}

export interface SessionAttempt {
  /** The client held a session: `+auth-only` reached ACTIVE and exited 0, or (FreeRDP 3) ACTIVE and a screen update. */
  readonly held: boolean;
  readonly result: XfreerdpResult;
}

/**
 * Connects once and ends the client: with `+auth-only` where the flavour's auth-only run is a success test
 * (FreeRDP 2), else as a long-lived client that is stopped once it logged ACTIVE and a whole screen update (FreeRDP
 * 3). `args` are the target and credentials without `+auth-only`. A refused client exits by itself (`held: false`);
 * one that does neither within `timeoutMs` is killed (`result.timedOut`).
 */
export async function attemptSession(args: readonly string[], options: RunXfreerdpOptions): Promise<SessionAttempt> {
  const flavour = options.flavour ?? FREERDP2;
  if (flavour.screenUpdateLine === undefined) {
    const result = await runXfreerdp([...args, XFREERDP_AUTH_ONLY], options);
    return { held: result.exitCode === XFREERDP_EXIT.SUCCESS && reachedActive(result), result };
  }
  const client = await startXfreerdp(args, options);
  try {
    const started = performance.now();
    let held = false;
    let timedOut = false;
    try {
      await client.waitForActive(options.timeoutMs);
      await client.process.waitForLine(flavour.screenUpdateLine, options.timeoutMs - (performance.now() - started));
      held = true;
    } catch (error) {
      timedOut = error instanceof HarnessTimeoutError;
    }
    if (client.running) await client.process.stop({ graceMs: KILL_GRACE_MS });
    return { held, result: client.result(timedOut) };
  } finally {
    await client.stop();
  }
}
