/**
 * `homegate token association|scope|jrl`, `homegate revoke` and `homegate rdp --mode relay`: the tokens of the TCP
 * relay and the /jet API, and the revocation list.
 */
import { hostname } from 'node:os';
import { formatHostAndPort, isHostAddress, parseHostAndPort, type Host } from '../../shared/model/hosts.ts';
import type { Settings } from '../config/schema.ts';
import { exportRdpFile } from '../rdpfile/rdp-export.ts';
import { RevocationList } from '../security/revocation.ts';
import { formatTargetAddr } from '../security/target-addr.ts';
import {
  KNOWN_SCOPES,
  issueAssociationToken,
  issueJrlToken,
  issueScopeToken,
  type JrlClaims,
  type Scope,
} from '../security/tokens.ts';
import { dataPaths } from '../config/data-dir.ts';
import { CliError, UsageError } from './cli-error.ts';
import {
  findHost,
  parseTtl,
  rdpClientOptions,
  rdpSigner,
  requireString,
  withContext,
  type CommandEnv,
} from './commands.ts';
import { writePrivateFile } from '../util/fs-atomic.ts';

type Flags = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The values of a repeatable string flag (`--jti A --jti B`). */
function stringList(flags: Flags, name: string): string[] {
  const value = flags[name];
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.map((entry) => {
    if (typeof entry !== 'string' || entry.length === 0) throw new UsageError(`--${name} needs a value`);
    return entry;
  });
}

function jtiList(flags: Flags): string[] {
  const jtis = stringList(flags, 'jti');
  for (const jti of jtis) {
    if (!UUID.test(jti)) throw new UsageError(`--jti: "${jti}" is not a token id (a UUID, the token's jti claim)`);
  }
  return jtis.map((jti) => jti.toLowerCase());
}

/** An allowed host as a TargetAddr: by name (the relay matches names and addresses alike), else by address. */
function targetOf(host: Host): string {
  const name = isHostAddress(host.name) ? host.name : host.address;
  return formatTargetAddr({ scheme: 'tcp', host: name, port: host.port });
}

async function associationToken(
  env: CommandEnv,
  flags: Flags,
): Promise<{ token: string; exp: number; host: Host; settings: Settings }> {
  const hostName = requireString(flags, 'host');
  const alternates = stringList(flags, 'alt');
  const ttl = parseTtl(flags);
  return withContext(env, async ({ settings, signingKey }) => {
    const current = settings.get();
    const hosts = [findHost(current, hostName), ...alternates.map((name) => findHost(current, name))];
    const { token, claims } = await issueAssociationToken(signingKey, {
      gatewayId: current.gatewayId,
      targets: hosts.map(targetOf),
      ttlSeconds: ttl ?? current.tokens.paaTtlSeconds,
    });
    return { token, exp: claims.exp, host: hosts[0], settings: current };
  });
}

/** `token association --host NAME [--alt NAME]... [--ttl SECONDS]`: a relay token (prints only the token). */
export async function tokenAssociationCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const { token } = await associationToken(env, flags);
  env.io.out(`${token}\n`);
}

/** `token scope --scope SCOPE [--ttl SECONDS]`: a bearer token for the /jet API. */
export async function tokenScopeCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const scope = requireString(flags, 'scope');
  if (!KNOWN_SCOPES.includes(scope as Scope)) {
    throw new UsageError(`--scope must be one of ${KNOWN_SCOPES.join(', ')}`);
  }
  const ttl = parseTtl(flags);
  await withContext(env, async ({ settings, signingKey }) => {
    const current = settings.get();
    const { token } = await issueScopeToken(signingKey, {
      gatewayId: current.gatewayId,
      scope,
      ttlSeconds: ttl ?? current.tokens.paaTtlSeconds,
    });
    env.io.out(`${token}\n`);
  });
}

/** The list in force with `jtis` added, dated after it (a JRL replaces another only when newer). */
function extendedList(
  current: JrlClaims,
  jtis: readonly string[],
): { iat: number; jrl: Record<string, (string | number)[]> } {
  const jrl: Record<string, (string | number)[]> = Object.fromEntries(
    Object.entries(current.jrl).map(([name, values]) => [name, [...values]]),
  );
  const listed = new Set((jrl.jti ?? []).map((value) => String(value).toLowerCase()));
  jrl.jti = [...(jrl.jti ?? []), ...jtis.filter((jti) => !listed.has(jti))];
  if (jrl.jti.length === 0) delete jrl.jti;
  return { iat: Math.max(Math.floor(Date.now() / 1000), current.iat + 1), jrl };
}

/**
 * `token jrl [--jti ID]...`: a JRL token with this gateway's current list plus the given token ids, for
 * `POST /jet/jrl` (this gateway's or another's). Nothing changes here until it is posted.
 */
export async function tokenJrlCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const jtis = jtiList(flags);
  await withContext(env, async ({ settings, signingKey, dataDir }) => {
    const list = await RevocationList.open(dataPaths(dataDir).jrl, env.logger);
    const { iat, jrl } = extendedList(list.effective, jtis);
    const { token } = await issueJrlToken(signingKey, { gatewayId: settings.get().gatewayId, iat, jrl });
    env.io.out(`${token}\n`);
  });
}

/**
 * `revoke --jti ID [--jti ID]...`: adds token ids to this gateway's revocation list. The list is saved atomically; a
 * running `serve` picks it up at once, refuses those tokens and ends the sessions opened with them.
 */
export async function revokeCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const jtis = jtiList(flags);
  if (jtis.length === 0) throw new UsageError('--jti is required');
  const list = await RevocationList.open(dataPaths(env.dataDir).jrl, env.logger);
  await list.revokeTokenIds(jtis);
  const total = list.size;
  env.io.out(`revoked ${jtis.join(', ')}; the revocation list now holds ${total} value${total === 1 ? '' : 's'}\n`);
}

/** `rdp --mode relay`: an .rdp file that connects to the relay with the token in `pcb:s:`. */
export async function rdpRelayCommand(env: CommandEnv, flags: Flags): Promise<void> {
  const out = requireString(flags, 'out');
  if (flags['gateway-address'] !== undefined) {
    throw new UsageError('--gateway-address is for --mode gateway; the relay takes --relay-address HOST[:PORT]');
  }
  const client = rdpClientOptions(flags);
  const { token, exp, host, settings } = await associationToken(env, flags);
  const relay = resolveRelayAddress(flags, settings);
  const signer = await rdpSigner(env, flags, settings);
  const file = exportRdpFile({
    connection: { mode: 'relay', relayHost: relay.host, relayPort: relay.port, token },
    client,
    signer,
  });
  await writePrivateFile(out, file);
  env.io.out(
    `wrote ${out}: ${host.name} through the relay at ${formatHostAndPort(relay.host, relay.port)}; the token ` +
      `connects once (reconnections within ${settings.relay.reuseWindowSeconds} s) until ${new Date(exp * 1000).toISOString()}\n`,
  );
}

function resolveRelayAddress(flags: Flags, settings: Settings): { host: string; port: number } {
  const configuredPort = settings.relay.listen?.port;
  if (typeof flags['relay-address'] === 'string') {
    const parsed = parseHostAndPort(flags['relay-address'], configuredPort ?? 0);
    if (!parsed)
      throw new UsageError('--relay-address takes HOST:PORT (the port is needed unless relay.listen is set)');
    return parsed;
  }
  if (configuredPort === undefined) {
    throw new CliError(
      'the relay is off in the settings (relay.listen): pass --relay-address HOST:PORT, the address clients reach it at',
    );
  }
  return { host: settings.publicNames[0] ?? hostname(), port: configuredPort };
}
