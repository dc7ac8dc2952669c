/**
 * `homegate serve` (the built CLI bundle, exactly as shipped) in a child process, with the bench's probe loaded
 * through `--import` to report memory, CPU time and event-loop delay over IPC.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CertificateKeyType } from '../../main/certs/local-ca.ts';
import { createLogger } from '../../main/logging/logger.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../main/security/signing-key.ts';
import { issueAssociationToken, issuePaaToken } from '../../main/security/tokens.ts';
import { ROOT, spawnChild, stopChild, waitForLine } from './children.ts';

const CLI = join(ROOT, 'bin/homegate.js');
const BUNDLE_RUNNER = join(ROOT, 'bench/run-bundle.mjs');
const PROBE = pathToFileURL(join(ROOT, 'bench/gateway-probe.mjs')).href;
const START_TIMEOUT_MS = 20_000;
const PROBE_TIMEOUT_MS = 10_000;
export const TARGET_HOST_NAME = 'bench-target';
/** The RDP-like phase's interactive echo: a target process of its own, so no paced sender shares its loop. */
export const PROBE_TARGET_HOST_NAME = 'bench-probe-target';

export interface ProbeSample {
  readonly memory: NodeJS.MemoryUsage;
  readonly cpu: NodeJS.CpuUsage;
  readonly wallMs: number;
  readonly eventLoopDelay: {
    readonly minMs: number;
    readonly meanMs: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly samples: number;
  };
  /** Garbage collections since the last reset (forced ones included when sampled with `gc`). */
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
  readonly activeResources: number;
}

export interface GatewayStartOptions {
  readonly dataDir: string;
  /** Write a V8 CPU profile of the gateway into this folder (written when it exits). */
  readonly cpuProfileDir?: string;
  readonly logFile: string;
  /** Extra Node options for the gateway process (e.g. --perf-basic-prof for Linux perf). */
  readonly nodeArgs?: readonly string[];
  /** Another build of the CLI bundle to run instead of out/cli/homegate.js (A/B comparisons). */
  readonly bundle?: string;
}

/** Allows a target through the CLI, as a user would (`homegate hosts add`). Idempotent per data directory. */
export function allowTarget(dataDir: string, port: number, name = TARGET_HOST_NAME): void {
  const result = spawnSync(
    process.execPath,
    [CLI, 'hosts', 'add', '--data-dir', dataDir, '--name', name, '--address', `127.0.0.1:${port}`],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (result.status !== 0) throw new Error(`homegate hosts add failed: ${result.stderr || result.error?.message}`);
}

export class GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** The TCP relay's port (the bench always turns the relay on). */
  readonly relayPort: number | undefined;
  readonly caPem: string;
  #nextId = 1;
  readonly #pending = new Map<number, (sample: ProbeSample) => void>();

  private constructor(child: ChildProcess, port: number, relayPort: number | undefined, caPem: string) {
    this.child = child;
    this.port = port;
    this.relayPort = relayPort;
    this.caPem = caPem;
    child.on('message', (message: { id: number; sample: ProbeSample }) => {
      this.#pending.get(message.id)?.(message.sample);
      this.#pending.delete(message.id);
    });
  }

  static async start(options: GatewayStartOptions): Promise<GatewayProcess> {
    const nodeArgs = ['--expose-gc', '--import', PROBE, ...(options.nodeArgs ?? [])];
    if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    const log = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawnChild(
        process.execPath,
        [
          ...nodeArgs,
          ...(options.bundle ? [BUNDLE_RUNNER, options.bundle] : [CLI]),
          ...['serve', '--data-dir', options.dataDir, '--listen', '127.0.0.1:0', '--relay-listen', '127.0.0.1:0'],
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', log, 'ipc'], env: { ...process.env, NODE_ENV: 'production' } },
      );
    } finally {
      closeSync(log);
    }
    // `serve` prints its addresses, then the data directory last.
    const match = await waitForLine(child, /^Data directory: /m, START_TIMEOUT_MS, 'homegate serve');
    child.stdout?.resume();
    const banner = match.input;
    const port = /listening on https:\/\/127\.0\.0\.1:(\d+)\//.exec(banner)?.[1];
    if (port === undefined) throw new Error(`homegate serve printed no HTTPS address:\n${banner}`);
    const relayPort = /relay listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1];
    const caPem = await readFile(join(options.dataDir, 'tls', 'ca.pem'), 'utf8');
    return new GatewayProcess(child, Number(port), relayPort === undefined ? undefined : Number(relayPort), caPem);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Memory, CPU since the last reset, event-loop delay since the last reset; after a full GC when `gc`. */
  sample(gc = false): Promise<ProbeSample> {
    return this.#ask({ type: 'sample', gc });
  }

  /** Restarts the CPU and event-loop delay windows. */
  reset(): Promise<ProbeSample> {
    return this.#ask({ type: 'reset' });
  }

  /** Stops the probe's own event-loop timer until the next reset (idle measurements). */
  quiet(): Promise<ProbeSample> {
    return this.#ask({ type: 'quiet' });
  }

  stop(): Promise<void> {
    return stopChild(this.child, 10_000);
  }

  #ask(message: { type: string; gc?: boolean }): Promise<ProbeSample> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the gateway probe did not answer "${message.type}" within ${PROBE_TIMEOUT_MS} ms`));
      }, PROBE_TIMEOUT_MS);
      this.#pending.set(id, (sample) => {
        clearTimeout(timer);
        resolve(sample);
      });
      this.child.send({ ...message, id });
    });
  }
}

/** Mints PAA tokens for the target with the data directory's own signing key (as `homegate token paa` does). */
export class TokenMinter {
  readonly #key: SigningKey;
  readonly #gatewayId: string;

  private constructor(key: SigningKey, gatewayId: string) {
    this.#key = key;
    this.#gatewayId = gatewayId;
  }

  static async open(dataDir: string): Promise<TokenMinter> {
    const key = await loadOrCreateSigningKey(join(dataDir, 'keys'), { logger: createLogger({ level: 'error' }) });
    const settings = JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')) as { gatewayId: string };
    return new TokenMinter(key, settings.gatewayId);
  }

  /** `count` ASSOCIATION tokens for the relay to reach the target `name` at `port`, minted before timing. */
  async mintAssociation(count: number, port: number, name = TARGET_HOST_NAME): Promise<string[]> {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) {
      const { token } = await issueAssociationToken(this.#key, {
        gatewayId: this.#gatewayId,
        targets: [`tcp://${name}:${port}`],
        ttlSeconds: 3600,
      });
      tokens.push(token);
    }
    return tokens;
  }

  /** `count` fresh PAA tokens for `hosts` (one per tunnel: they are single-use), minted before timing. */
  async mint(count: number, hosts: readonly string[] = [TARGET_HOST_NAME]): Promise<string[]> {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) {
      const { token } = await issuePaaToken(this.#key, {
        gatewayId: this.#gatewayId,
        hosts,
        ttlSeconds: 3600,
      });
      tokens.push(token);
    }
    return tokens;
  }
}

/** Reads the data directory's settings.json, lets `edit` change it, and writes it back. */
async function editSettings(dataDir: string, edit: (settings: Record<string, unknown>) => void): Promise<void> {
  const file = join(dataDir, 'settings.json');
  const settings = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(settings);
  await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/** Sets the key type of the certificate the gateway makes at its first start (`tls.keyType` of settings.json). */
export function setKeyType(dataDir: string, keyType: CertificateKeyType): Promise<void> {
  return editSettings(dataDir, (settings) => {
    settings.tls = { ...(settings.tls as Record<string, unknown> | undefined), keyType };
  });
}

/** Sets (or, with undefined, removes) the `limits` of the data directory's settings.json for the next `serve`. */
export function setLimits(dataDir: string, limits: Record<string, number> | undefined): Promise<void> {
  return editSettings(dataDir, (settings) => {
    if (limits) settings.limits = limits;
    else delete settings.limits;
  });
}
