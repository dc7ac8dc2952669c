/**
 * A real gateway (`startGateway`) for integration tests: a fresh temporary data directory, 127.0.0.1 on a free
 * port, a recording logger, helpers to allow hosts and mint tokens, and cleanup.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LimitsSettings } from '../../main/config/schema.ts';
import { createLogger, type Logger } from '../../main/logging/logger.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../main/security/signing-key.ts';
import { issuePaaToken, type PaaClaims, type TokenSigner } from '../../main/security/tokens.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { startGateway, type GatewayService } from '../../main/service.ts';
import type { DownloadLinks } from '../../main/web/download-links.ts';
import type { Host } from '../../shared/model/hosts.ts';
import { httpsRequest, type HttpsReply, type HttpsRequestOptions } from './https-request.ts';
import type { TsguClientOptions } from './tsgu-client.ts';
import { TargetServer } from './targets.ts';
import { within } from './wait.ts';

export const GATEWAY_WAIT_MS = 5_000;
/** A generous bound on `stop()` in cleanup, above SHUTDOWN_DRAIN_TIMEOUT_MS. */
const CLEANUP_STOP_TIMEOUT_MS = 10_000;
const MAX_RECORDED_LOG_LINES = 5_000;
const AUDIT_POLL_MS = 20;

/** One line of the audit log as JSON. */
export interface AuditRecord {
  readonly time: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

/** One log line as JSON. */
export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface TokenOptions {
  readonly ttlSeconds?: number;
  readonly now?: Date;
  readonly gatewayId?: string;
  readonly signer?: TokenSigner;
}

export class TestGateway {
  readonly service: GatewayService;
  readonly dataDir: string;
  readonly logs: LogRecord[];
  readonly #logEvents: EventEmitter;
  #disposed: Promise<void> | undefined;

  constructor(service: GatewayService, dataDir: string, logs: LogRecord[], logEvents: EventEmitter) {
    this.service = service;
    this.dataDir = dataDir;
    this.logs = logs;
    this.#logEvents = logEvents;
  }

  get port(): number {
    return this.service.address.port;
  }

  /** The TCP relay's port (the gateway must have been started with `{ relay: true }`). */
  get relayPort(): number {
    const relay = this.service.relayAddress;
    if (!relay) throw new Error('this test gateway was started without the relay');
    return relay.port;
  }

  get gatewayId(): string {
    return this.service.context.settings.get().gatewayId;
  }

  /** Options for `TsguClient.connect`: loopback, the gateway's CA, server name 'localhost'. */
  clientOptions(overrides: Partial<TsguClientOptions> = {}): TsguClientOptions {
    return {
      host: '127.0.0.1',
      port: this.port,
      ca: this.service.tls.caCertPem,
      servername: 'localhost',
      ...overrides,
    };
  }

  /** One HTTPS request to the gateway through Node's own client, its certificate checked for 'localhost'. */
  request(
    method: string,
    path: string,
    options: Omit<HttpsRequestOptions, 'port' | 'ca' | 'method' | 'path'> = {},
  ): Promise<HttpsReply> {
    return httpsRequest({ ...options, port: this.port, ca: this.service.tls.caCertPem, method, path });
  }

  /** Allows a host (through the settings store, as `homegate hosts add` would); address defaults to 127.0.0.1. */
  async addHost(host: { name: string; port: number; address?: string }): Promise<Host> {
    const added: Host = { name: host.name, address: host.address ?? '127.0.0.1', port: host.port };
    await this.service.context.settings.update((settings) => ({ ...settings, hosts: [...settings.hosts, added] }));
    return added;
  }

  async removeHost(name: string): Promise<void> {
    await this.service.context.settings.update((settings) => ({
      ...settings,
      hosts: settings.hosts.filter((host) => host.name !== name),
    }));
  }

  /** A PAA token for `hosts`, signed with the gateway's key unless `signer` is given. */
  async token(hosts: readonly string[], options: TokenOptions = {}): Promise<{ token: string; claims: PaaClaims }> {
    return issuePaaToken(options.signer ?? this.service.context.signingKey, {
      gatewayId: options.gatewayId ?? this.gatewayId,
      hosts,
      ttlSeconds: options.ttlSeconds ?? 300,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Every audit line written so far (the log is a buffered stream: recent lines may not be on disk yet). */
  async auditRecords(): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(dataPaths(this.dataDir).auditLog, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as AuditRecord);
  }

  /**
   * The first audit record matching `predicate`, skipping the first `skip` lines (those written before a test
   * began), re-reading the file until it appears. There is no event for "flushed to disk", so this polls —
   * bounded by `timeoutMs`.
   */
  async waitForAudit(
    predicate: (record: AuditRecord) => boolean,
    timeoutMs = GATEWAY_WAIT_MS,
    skip = 0,
  ): Promise<AuditRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await this.auditRecords();
      const found = records.slice(skip).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching audit record within ${timeoutMs} ms; have: ${JSON.stringify(records.slice(skip))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, AUDIT_POLL_MS));
    }
  }

  /** A `waitForAudit` that only looks at lines written after this call. */
  async auditFromNow(): Promise<(predicate: (record: AuditRecord) => boolean) => Promise<AuditRecord>> {
    const skip = (await this.auditRecords()).length;
    return (predicate) => this.waitForAudit(predicate, GATEWAY_WAIT_MS, skip);
  }

  /** Waits for a log line with message `msg` (and matching `predicate`) written after this call or already. */
  waitForLog(
    msg: string,
    predicate: (record: LogRecord) => boolean = () => true,
    timeoutMs = GATEWAY_WAIT_MS,
  ): Promise<LogRecord> {
    const existing = this.logs.find((record) => record.msg === msg && predicate(record));
    if (existing) return Promise.resolve(existing);
    return new Promise<LogRecord>((resolve, reject) => {
      const onLine = (record: LogRecord): void => {
        if (record.msg !== msg || !predicate(record)) return;
        clearTimeout(timer);
        this.#logEvents.off('line', onLine);
        resolve(record);
      };
      const timer = setTimeout(() => {
        this.#logEvents.off('line', onLine);
        reject(new Error(`no "${msg}" log line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#logEvents.on('line', onLine);
    });
  }

  /** Stops the gateway (bounded) and removes its data directory. Safe to call twice. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      try {
        await within(this.service.stop(), CLEANUP_STOP_TIMEOUT_MS, 'gateway stop()');
      } finally {
        await rm(this.dataDir, { recursive: true, force: true });
      }
    })();
    return this.#disposed;
  }
}

/** Starts a gateway in a fresh data directory. Register `dispose` with `after`/`t.after`, or use `withGateway`. */
export interface TestGatewayOptions {
  /** Where the gateway listens (default 127.0.0.1 on a free port). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Also start the TCP relay on 127.0.0.1, on a free port. */
  readonly relay?: boolean;
  /** Also start the plain-HTTP listener (for a TLS-terminating proxy) on 127.0.0.1, on a free port. */
  readonly plain?: boolean;
  /** Connection limits set in the settings right after start (short deadlines, small caps); read at each accept. */
  readonly limits?: Partial<LimitsSettings>;
  /** Also serve the web admin page and API under /admin/ (its files from `rendererDir`). */
  readonly webAdmin?: { readonly rendererDir?: string };
  /** Start in this data directory (a restart of a stopped gateway) instead of a fresh one; dispose removes it. */
  readonly dataDir?: string;
  /** The one-time download links' table (one with its own clock). */
  readonly downloadLinks?: DownloadLinks;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'homegate-it-')));
  const logs: LogRecord[] = [];
  const logEvents = new EventEmitter();
  const logger: Logger = createLogger({
    level: 'debug',
    write: (line) => {
      const record = JSON.parse(line) as LogRecord;
      if (logs.length >= MAX_RECORDED_LOG_LINES) logs.shift();
      logs.push(record);
      logEvents.emit('line', record);
    },
  });
  try {
    const service = await startGateway({
      dataDir,
      logger,
      listen: options.listen ?? { host: '127.0.0.1', port: 0 },
      ...(options.relay ? { relayListen: { host: '127.0.0.1', port: 0 } } : {}),
      ...(options.plain ? { plainListen: { host: '127.0.0.1', port: 0 } } : {}),
      ...(options.webAdmin ? { webAdmin: options.webAdmin } : {}),
      ...(options.downloadLinks ? { downloadLinks: options.downloadLinks } : {}),
    });
    const { limits } = options;
    if (limits)
      await service.context.settings.update((settings) => ({ ...settings, limits: { ...settings.limits, ...limits } }));
    return new TestGateway(service, dataDir, logs, logEvents);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** `startTestGateway` with its cleanup registered on the test (`t.after`). */
export async function withGateway(
  t: { after(fn: () => Promise<void>): void },
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const gateway = await startTestGateway(options);
  t.after(() => gateway.dispose());
  return gateway;
}

/** A signing key the gateway does not know (another gateway's), in its own temporary directory. */
export async function foreignSigningKey(): Promise<SigningKey> {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-key-'));
  try {
    return await loadOrCreateSigningKey(dir, { logger: createLogger({ write: () => undefined }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `0x800759f8` — HRESULTs as the audit log writes them. */
export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** A gateway with an echo target allowed as host `echo`, and a token for it: the setup most tunnel tests share. */
export interface EchoGateway {
  readonly gateway: TestGateway;
  readonly echo: TargetServer;
  readonly token: string;
  readonly tokenId: string;
}

export async function startEchoGateway(options: TestGatewayOptions = {}): Promise<EchoGateway> {
  const gateway = await startTestGateway(options);
  try {
    const echo = await TargetServer.start({ mode: 'echo' });
    await gateway.addHost({ name: 'echo', port: echo.port });
    const { token, claims } = await gateway.token(['echo']);
    return { gateway, echo, token, tokenId: claims.jti };
  } catch (error) {
    await gateway.dispose();
    throw error;
  }
}

/** Stops what `startEchoGateway` started (either may be undefined when its `before` failed). */
export async function stopEchoGateway(setup: Partial<Pick<EchoGateway, 'gateway' | 'echo'>>): Promise<void> {
  await setup.gateway?.dispose();
  await setup.echo?.close();
}
