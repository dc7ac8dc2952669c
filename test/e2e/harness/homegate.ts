/**
 * The real `homegate` command as users run it (`bin/homegate.js`, which loads the bundle in out/): one-shot
 * commands and a `serve` process with the URL and fingerprint it prints. `scripts/run-tests.sh` builds the
 * bundle before the tests, so they exercise what ships.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError } from './errors.ts';
import { ManagedProcess, type ExitStatus } from './processes.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(PROJECT_ROOT, 'bin/homegate.js');
const BUNDLE = join(PROJECT_ROOT, 'out/cli/homegate.js');
const CLI_TIMEOUT_MS = 20_000;
const SERVE_START_TIMEOUT_MS = 20_000;

function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new HarnessError(`${BUNDLE} is missing: run \`npm run build\` first`);
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `homegate ARGS --data-dir DIR` to completion. */
export function homegate(dataDir: string, args: readonly string[]): Promise<CliResult> {
  requireBundle();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--data-dir', dataDir],
      { timeout: CLI_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed and returns its stdout. */
export async function homegateOk(dataDir: string, args: readonly string[]): Promise<string> {
  const result = await homegate(dataDir, args);
  if (result.code !== 0) {
    throw new HarnessError(`homegate ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Allows `name` at 127.0.0.1:`port` with the CLI, as a user would (`homegate hosts add`). */
export async function allowHost(dataDir: string, name: string, port: number): Promise<void> {
  await homegateOk(dataDir, ['hosts', 'add', '--name', name, '--address', `127.0.0.1:${port}`]);
}

export interface HomegateServe {
  /** The address it listens on, as printed (`127.0.0.1`). */
  readonly host: string;
  readonly port: number;
  readonly fingerprint: string;
  /** The plain-HTTP listener's port, when `--plain-listen` was passed. */
  readonly plainPort: number | undefined;
  /** The TCP relay's port, when `--relay-listen` was passed. */
  readonly relayPort: number | undefined;
  readonly process: ManagedProcess;
  /** SIGTERM, then the exit status (bounded). */
  stop(): Promise<ExitStatus>;
}

export interface StartHomegateServeOptions {
  /** `--listen HOST:PORT`; default `127.0.0.1:0` (a free port). */
  readonly listen?: string;
  /** More `serve` arguments, for example `['--plain-listen', '127.0.0.1:0']`. */
  readonly extraArgs?: readonly string[];
}

/** Starts `homegate serve --listen 127.0.0.1:0` (or `options.listen`) and waits for the URL and fingerprint it prints. */
export async function startHomegateServe(
  dataDir: string,
  options: StartHomegateServeOptions = {},
): Promise<HomegateServe> {
  requireBundle();
  const extraArgs = options.extraArgs ?? [];
  const child = await ManagedProcess.start(
    process.execPath,
    [BIN, 'serve', '--listen', options.listen ?? '127.0.0.1:0', ...extraArgs, '--data-dir', dataDir],
    { name: 'homegate serve' },
  );
  try {
    const urlLine = await child.waitForLine(/listening on https:\/\/[^/\s]+:\d+\//, SERVE_START_TIMEOUT_MS);
    const fingerprintLine = await child.waitForLine(/fingerprint: [0-9A-F:]{95}/, SERVE_START_TIMEOUT_MS);
    const [, host = '', port = ''] = /https:\/\/([^/\s]+):(\d+)\//.exec(urlLine) ?? [];
    const fingerprint = /([0-9A-F]{2}(?::[0-9A-F]{2}){31})/.exec(fingerprintLine)?.[1] ?? '';
    let plainPort: number | undefined;
    if (extraArgs.includes('--plain-listen')) {
      const plainLine = await child.waitForLine(/listening on http:\/\/[^/]+:\d+\//, SERVE_START_TIMEOUT_MS);
      plainPort = Number(/:(\d+)\//.exec(plainLine)?.[1]);
    }
    let relayPort: number | undefined;
    if (extraArgs.includes('--relay-listen')) {
      const relayLine = await child.waitForLine(/relay listening on tcp:\/\/[^/]+:\d+\//, SERVE_START_TIMEOUT_MS);
      relayPort = Number(/:(\d+)\//.exec(relayLine)?.[1]);
    }
    return {
      host,
      port: Number(port),
      fingerprint,
      plainPort,
      relayPort,
      process: child,
      stop: () => child.stop({ signal: 'SIGTERM', graceMs: 10_000 }),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

export interface AuditRecord {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** The audit log's records, oldest first. */
export async function readAuditLog(dataDir: string): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'audit.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuditRecord);
}

/**
 * Waits (bounded, 10 s) until the audit log holds a record matching `predicate`, after its first `skip` records
 * (what the log held before the step being checked).
 */
export async function waitForAudit(
  dir: string,
  predicate: (record: AuditRecord) => boolean,
  skip = 0,
): Promise<AuditRecord> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await readAuditLog(dir)).slice(skip).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('the expected audit record did not appear within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
