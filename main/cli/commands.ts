import { readFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { z } from 'zod';
import {
  HostNameSchema,
  MacAddressSchema,
  formatHostAndPort,
  isHostAddress,
  parseHostAndPort,
  type Host,
} from '../../shared/model/hosts.ts';
import { MAX_PAA_TTL_SECONDS, type Settings } from '../config/schema.ts';
import { SettingsStore } from '../config/settings-store.ts';
import type { Logger } from '../logging/logger.ts';
import { localAddressFor } from '../net/ip-address.ts';
import { exportRdpFile } from '../rdpfile/rdp-export.ts';
import type { RdpClientOptions } from '../rdpfile/rdp-file.ts';
import type { RdpSigner } from '../rdpfile/rdp-sign.ts';
import { IssuedTokenRegistry } from '../security/issued-tokens.ts';
import { issuePaaToken, type PaaClaims, type SignedToken, type TokenSigner } from '../security/tokens.ts';
import { CA_CERT_FILE, describeServedCertificate, loadOrCreateCertificates } from '../certs/certificate-store.ts';
import { dataPaths } from '../config/data-dir.ts';
import { openContext, startGateway, type HomegateContext } from '../service.ts';
import { ensureAdminPassword } from '../web/admin-password.ts';
import { generatedPasswordNotice } from './admin-commands.ts';
import { CliError, UsageError } from './cli-error.ts';
import type { CliIo } from './output.ts';
import { writePrivateFile } from '../util/fs-atomic.ts';

export interface CommandEnv {
  readonly dataDir: string;
  readonly io: CliIo;
  readonly logger: Logger;
  /** Settles with the signal's name when the user asks the process to stop (SIGINT/SIGTERM). */
  readonly waitForStop: () => Promise<string>;
}

type Flags = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export function requireString(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`--${flag}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
  return result.data;
}

export function findHost(settings: Settings, name: string): Host {
  const host = settings.hosts.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!host) {
    const known = settings.hosts.map((candidate) => candidate.name).join(', ');
    throw new CliError(
      `no allowed host named "${name}"${known ? ` (allowed: ${known})` : ' (no hosts yet: add one with `homegate hosts add`)'}`,
    );
  }
  return host;
}

/** Reads `--ttl` before anything else is done, so a bad value costs nothing; undefined means the configured default. */
export function parseTtl(flags: Flags): number | undefined {
  if (flags.ttl === undefined) return undefined;
  const ttl = Number(flags.ttl);
  if (!Number.isInteger(ttl) || ttl < 30 || ttl > MAX_PAA_TTL_SECONDS) {
    throw new UsageError(`--ttl must be a whole number of seconds from 30 to ${MAX_PAA_TTL_SECONDS}`);
  }
  return ttl;
}

export async function withContext<T>(env: CommandEnv, run: (context: HomegateContext) => Promise<T> | T): Promise<T> {
  const context = await openContext(env.dataDir, env.logger);
  try {
    return await run(context);
  } finally {
    context.settings.close();
  }
}

/**
 * For commands that only touch the settings: no key is opened, so they also work in a data directory whose keys the
 * desktop app sealed with the OS keychain (a host added here shows up in the app).
 */
async function withSettingsOnly<T>(
  env: CommandEnv,
  run: (context: { readonly settings: SettingsStore }) => Promise<T> | T,
): Promise<T> {
  const settings = await SettingsStore.open(env.dataDir, env.logger);
  try {
    return await run({ settings });
  } finally {
    settings.close();
  }
}

export async function serveCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const listen = typeof flags.listen === 'string' ? parseListen(flags.listen) : undefined;
  const relayFlag = flags['relay-listen'];
  const relayListen = typeof relayFlag === 'string' ? parseListen(relayFlag, 'relay-listen') : undefined;
  const plainFlag = flags['plain-listen'];
  const plainListen = typeof plainFlag === 'string' ? parseListen(plainFlag, 'plain-listen') : undefined;
  const stopRequested = env.waitForStop();
  const service = await startGateway({
    dataDir: env.dataDir,
    logger: env.logger,
    listen,
    relayListen,
    plainListen,
    webAdmin: {},
  });
  const { address, tls } = service;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  env.io.out(`Homegate gateway listening on https://${shownHost}:${address.port}/\n`);
  const adminUrl = `https://${shownHost}:${address.port}/admin/`;
  env.io.out(`Web admin page: ${adminUrl}\n`);
  // First start: the page gets a strong password now, shown once; only its hash is kept.
  const generatedPassword = await ensureAdminPassword(dataPaths(env.dataDir).adminPassword);
  if (generatedPassword !== undefined) env.io.out(generatedPasswordNotice(generatedPassword, adminUrl));
  if (address.address === '0.0.0.0' || address.address === '::') {
    env.io.out(`Reach it as https://${hostname()}:${address.port}/ or any address of this machine\n`);
  }
  if (service.relayAddress) {
    const relay = service.relayAddress;
    env.io.out(
      `Homegate relay listening on tcp://${relay.family === 'IPv6' ? `[${relay.address}]` : relay.address}:${relay.port}/\n`,
    );
  }
  if (service.plainAddress) {
    const plain = service.plainAddress;
    env.io.out(
      `Homegate plain HTTP listening on http://${plain.family === 'IPv6' ? `[${plain.address}]` : plain.address}:${plain.port}/ ` +
        '(only for a trusted TLS-terminating reverse proxy)\n',
    );
  }
  env.io.out(`Certificate SHA-256 fingerprint: ${tls.fingerprintSha256}\n`);
  env.io.out(`Data directory: ${env.dataDir}\n`);
  const signal = await stopRequested;
  env.io.err(`received ${signal}, shutting down\n`);
  await service.stop();
}

/** `HOST:PORT` to listen on; port 0 asks the system for a free port. */
export function parseListen(text: string, flag = 'listen'): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !isHostAddress(host) || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--${flag} takes HOST:PORT, for example 0.0.0.0:8443 or [::]:8443`);
  }
  return { host, port };
}

export async function hostsAddCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const name = parseWith(HostNameSchema, requireString(flags, 'name'), 'name');
  const target = parseHostAndPort(requireString(flags, 'address'));
  if (!target) throw new UsageError('--address takes HOST[:PORT], for example 192.168.1.20:3389 or desktop.lan');
  const mac = typeof flags.mac === 'string' ? parseWith(MacAddressSchema, flags.mac, 'mac') : undefined;
  await withSettingsOnly(env, async ({ settings }) => {
    if (settings.get().hosts.some((host) => host.name.toLowerCase() === name.toLowerCase())) {
      throw new CliError(`a host named "${name}" already exists`);
    }
    const host: Host = { name, address: target.host, port: target.port, ...(mac ? { mac } : {}) };
    await settings.update((current) => ({ ...current, hosts: [...current.hosts, host] }));
    env.io.out(`added ${name} → ${formatHostAndPort(target.host, target.port)}\n`);
  });
}

export async function hostsListCommand(env: CommandEnv, flags: Flags): Promise<void> {
  await withSettingsOnly(env, ({ settings }) => {
    const { hosts } = settings.get();
    if (flags.json === true) {
      env.io.out(`${JSON.stringify(hosts, null, 2)}\n`);
      return;
    }
    if (hosts.length === 0) {
      env.io.err('no allowed hosts yet; add one with `homegate hosts add --name NAME --address HOST[:PORT]`\n');
      return;
    }
    const width = Math.max(4, ...hosts.map((host) => host.name.length));
    env.io.out(`${'NAME'.padEnd(width)}  ADDRESS\n`);
    for (const host of hosts) {
      env.io.out(
        `${host.name.padEnd(width)}  ${formatHostAndPort(host.address, host.port)}${host.mac ? `  (wake: ${host.mac})` : ''}\n`,
      );
    }
  });
}

export async function hostsRemoveCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const name = requireString(flags, 'name');
  await withSettingsOnly(env, async ({ settings }) => {
    const host = findHost(settings.get(), name);
    await settings.update((current) => ({
      ...current,
      hosts: current.hosts.filter((entry) => entry !== host && entry.name !== host.name),
    }));
    env.io.out(`removed ${host.name}\n`);
  });
}

/** What a token minted here is called in the UI's list when no --label is given. */
export const CLI_TOKEN_LABEL = 'command line';

/**
 * Issues a PAA token for one host, valid for `ttlSeconds` or the settings' default. It is remembered in the
 * issued-token list (metadata only) under `label`, so the UI lists it under Access and it can be revoked there like
 * the UI's own; a running gateway reads the file again when it lists.
 */
async function issueCliPaaToken(
  env: CommandEnv,
  signingKey: TokenSigner,
  settings: Settings,
  grant: { readonly host: string; readonly ttlSeconds: number | undefined; readonly label: string },
): Promise<SignedToken<PaaClaims>> {
  const { host, label } = grant;
  const ttlSeconds = grant.ttlSeconds ?? settings.tokens.paaTtlSeconds;
  const issued = await issuePaaToken(signingKey, { gatewayId: settings.gatewayId, hosts: [host], ttlSeconds });
  const { claims } = issued;
  const registry = await IssuedTokenRegistry.open(dataPaths(env.dataDir).issuedTokens, env.logger);
  await registry.record({
    jti: claims.jti,
    kind: 'paa',
    host,
    label,
    singleUse: false,
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
  });
  return issued;
}

function parseLabel(flags: Flags): string {
  const label = flags.label;
  if (label === undefined) return CLI_TOKEN_LABEL;
  if (typeof label !== 'string' || label.trim() === '' || label.length > 64 || /\p{Cc}/u.test(label)) {
    throw new UsageError('--label takes 1 to 64 characters without control characters');
  }
  return label.trim();
}

export async function tokenPaaCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const hostName = requireString(flags, 'host');
  const ttlSeconds = parseTtl(flags);
  const label = parseLabel(flags);
  await withContext(env, async ({ settings, signingKey }) => {
    const current = settings.get();
    const host = findHost(current, hostName);
    const { token } = await issueCliPaaToken(env, signingKey, current, { host: host.name, ttlSeconds, label });
    env.io.out(`${token}\n`);
  });
}

export async function rdpCommand(env: CommandEnv, flags: Flags): Promise<void> {
  if (flags.mode !== undefined && flags.mode !== 'gateway') {
    throw new UsageError('--mode is gateway (MS-TSGU, the default) or relay (TCP relay)');
  }
  if (flags['relay-address'] !== undefined || flags.alt !== undefined) {
    throw new UsageError('--relay-address and --alt are for --mode relay');
  }
  const hostName = requireString(flags, 'host');
  const out = requireString(flags, 'out');
  const ttlSeconds = parseTtl(flags);
  const label = `${CLI_TOKEN_LABEL}: ${basename(out).replace(/\p{Cc}/gu, '')}`.slice(0, 64);
  const client = rdpClientOptions(flags);
  await withContext(env, async ({ settings, signingKey }) => {
    const current = settings.get();
    const host = findHost(current, hostName);
    const gatewayAddress = resolveGatewayAddress(flags, current);
    const { token, claims } = await issueCliPaaToken(env, signingKey, current, { host: host.name, ttlSeconds, label });
    const signer = await rdpSigner(env, flags, current);
    const file = exportRdpFile({
      connection: { mode: 'gateway', targetName: host.name, targetPort: host.port, gatewayAddress, accessToken: token },
      client,
      signer,
    });
    await writePrivateFile(out, file);
    env.io.out(
      `wrote ${out}: ${host.name} through ${gatewayAddress}, access valid until ${new Date(claims.exp * 1000).toISOString()}` +
        `${signer ? '' : ' (unsigned)'}\n`,
    );
  });
}

/** The client options of `homegate rdp` (defaults as in the app's export dialog). */
export function rdpClientOptions(flags: Flags): RdpClientOptions {
  const screen = flags.screen ?? 'fullscreen';
  if (screen !== 'window' && screen !== 'fullscreen') throw new UsageError('--screen is window or fullscreen');
  const audio = flags.audio ?? 'local';
  if (audio !== 'local' && audio !== 'remote' && audio !== 'off') {
    throw new UsageError('--audio is local, remote or off');
  }
  const username = flags.username;
  if (username !== undefined && (typeof username !== 'string' || username.length > 256 || /\p{Cc}/u.test(username))) {
    throw new UsageError('--username takes a name without control characters (at most 256 characters)');
  }
  return {
    screenMode: screen,
    multiMonitor: flags.multimon === true,
    clipboard: flags['no-clipboard'] !== true,
    drives: flags.drives === true,
    audio,
    ...(username ? { username } : {}),
  };
}

/**
 * The signer for `homegate rdp`: the gateway's served certificate and key (created like `serve` would when missing),
 * unless `--no-sign`.
 */
export async function rdpSigner(env: CommandEnv, flags: Flags, settings: Settings): Promise<RdpSigner | undefined> {
  if (flags['no-sign'] === true) return undefined;
  const tls = await loadOrCreateCertificates(dataPaths(env.dataDir).tls, {
    publicNames: settings.publicNames,
    keyType: settings.tls.keyType,
    logger: env.logger,
  });
  return { chainPem: tls.chainPem, keyPem: tls.keyPem };
}

function resolveGatewayAddress(flags: Flags, settings: Settings): string {
  if (typeof flags['gateway-address'] === 'string') {
    const parsed = parseHostAndPort(flags['gateway-address'], 443);
    if (!parsed) throw new UsageError('--gateway-address takes HOST[:PORT]');
    return formatHostAndPort(parsed.host, parsed.port);
  }
  const host = settings.publicNames[0] ?? hostname();
  return formatHostAndPort(host, settings.listen.port);
}

/** How long `homegate health` waits for the gateway to answer. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * Asks a running gateway whether it is healthy (a container's HEALTHCHECK). It connects to the configured listen
 * address (loopback for a wildcard: `0.0.0.0` → 127.0.0.1, `::` → ::1) on the configured (or given) port and
 * trusts only this data directory's own CA, so it checks the real TLS listener.
 */
export async function healthCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const portFlag = flags.port;
  const port = typeof portFlag === 'string' ? Number(portFlag) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new UsageError('--port takes a port number');
  }
  await withContext(env, async ({ settings, dataDir }) => {
    const ca = await readFile(join(dataPaths(dataDir).tls, CA_CERT_FILE), 'utf8').catch(() => {
      throw new CliError('no gateway certificate in this data directory yet (has `homegate serve` run?)');
    });
    const { listen } = settings.get();
    const target = port ?? listen.port;
    const address = localAddressFor(listen.host);
    // An imported certificate neither chains to our CA nor names localhost: pin its fingerprint instead.
    const served = await describeServedCertificate(dataPaths(dataDir).tls, { publicNames: [] });
    const pinned = served?.source === 'imported' ? served.fingerprintSha256 : undefined;
    const body = await new Promise<string>((resolve, reject) => {
      const request = httpsGet(
        {
          host: address,
          port: target,
          path: '/jet/health',
          ...(pinned === undefined ? { ca } : { rejectUnauthorized: false }),
          servername: 'localhost',
          timeout: HEALTH_TIMEOUT_MS,
        },
        (response) => {
          if (pinned !== undefined && (response.socket as TLSSocket).getPeerCertificate().fingerprint256 !== pinned) {
            response.destroy();
            reject(new CliError('the gateway on this port does not serve the imported certificate'));
            return;
          }
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk.slice(0, 4096)));
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(text)
              : reject(new CliError(`unhealthy: HTTP ${response.statusCode}`)),
          );
        },
      );
      request.on('timeout', () => request.destroy(new CliError(`no answer within ${HEALTH_TIMEOUT_MS} ms`)));
      request.on('error', (error) =>
        reject(
          error instanceof CliError
            ? error
            : new CliError(`gateway unreachable at ${formatHostAndPort(address, target)}: ${error.message}`),
        ),
      );
    });
    env.io.out(`healthy: ${body}\n`);
  });
}
