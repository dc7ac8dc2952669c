import { isHostAddress } from '../../shared/model/hosts.ts';

/**
 * Default ports of the ApplicationProtocol values Devolutions Gateway's API documents (`jet_ap`). A TargetAddr
 * without a port takes its protocol's default; for any other protocol the port must be written out.
 */
export const APPLICATION_PROTOCOL_DEFAULT_PORTS: Readonly<Record<string, number>> = Object.freeze({
  rdp: 3389,
  ssh: 22,
  'ssh-pwsh': 22,
  sftp: 22,
  scp: 22,
  ard: 5900,
  vnc: 5900,
  'winrm-http-pwsh': 5985,
  'winrm-https-pwsh': 5986,
  http: 80,
  https: 443,
});

/** The scheme a TargetAddr has when it names none. */
export const DEFAULT_TARGET_SCHEME = 'tcp';
/** Longer than any real `scheme://host:port`; refused before any parsing. */
export const MAX_TARGET_ADDR_CHARS = 300;

/** `<SCHEME>://<ADDR>:<PORT>`: like a URL, but with no route, query or credentials. */
export interface TargetAddr {
  /** Lower case; `tcp` when the text named none. */
  readonly scheme: string;
  /** A host name (lower case), an IPv4 literal or an IPv6 literal without brackets. */
  readonly host: string;
  readonly port: number;
}

export class TargetAddrError extends Error {
  override readonly name = 'TargetAddrError';
}

/** The default port of an ApplicationProtocol (`jet_ap`), or undefined when it has none we know. */
export function defaultPortFor(applicationProtocol: string): number | undefined {
  return Object.hasOwn(APPLICATION_PROTOCOL_DEFAULT_PORTS, applicationProtocol)
    ? APPLICATION_PROTOCOL_DEFAULT_PORTS[applicationProtocol]
    : undefined;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\//;

/**
 * Parses a TargetAddr (`tcp://desktop.lan:3389`, `desktop.lan`, `[fe80::1]:3389`). The scheme defaults to `tcp`
 * and the port to `defaultPort`. Anything URL-like beyond scheme, host and port — a path, a query, user info —
 * is refused rather than ignored, so that a token can never carry a second meaning the gateway overlooks.
 */
export function parseTargetAddr(text: string, defaultPort?: number): TargetAddr {
  if (text.length === 0 || text.length > MAX_TARGET_ADDR_CHARS) {
    throw new TargetAddrError(`a target address must be 1 to ${MAX_TARGET_ADDR_CHARS} characters`);
  }
  let rest = text;
  let scheme = DEFAULT_TARGET_SCHEME;
  const schemeMatch = SCHEME.exec(rest);
  if (schemeMatch) {
    scheme = (schemeMatch[1] ?? '').toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  }
  if (/[/?#@\s\\]/.test(rest)) {
    throw new TargetAddrError(`"${text}" is not a target address: only <scheme>://<host>:<port> is allowed`);
  }

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(rest);
    if (!bracketed) throw new TargetAddrError(`"${text}" has a malformed IPv6 literal`);
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (!host.includes(':')) throw new TargetAddrError(`"${text}": brackets are only for IPv6 literals`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) throw new TargetAddrError(`"${text}": write IPv6 literals in brackets, as [::1]:3389`);
    host = parts[0] ?? '';
    portText = parts[1];
    if (portText !== undefined && !/^\d{1,5}$/.test(portText)) {
      throw new TargetAddrError(`"${text}" has an invalid port`);
    }
  }
  if (!isHostAddress(host)) throw new TargetAddrError(`"${text}" does not name a valid host`);

  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined) {
    throw new TargetAddrError(`"${text}" has no port, and its application protocol has no default port`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TargetAddrError(`"${text}" has an invalid port`);
  return { scheme, host: host.toLowerCase(), port };
}

/** The canonical form, `<scheme>://<host>:<port>` (IPv6 literals in brackets). */
export function formatTargetAddr(target: TargetAddr): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.scheme}://${host}:${target.port}`;
}
