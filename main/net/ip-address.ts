/**
 * IP addresses as the gateway compares them: one canonical text per address, so that the same client is the same
 * string whichever way a socket or a proxy header wrote it; the trusted-proxy ranges; and the unit per-address caps
 * count. Parsing and printing are Node's (`net.isIP`, `net.SocketAddress`), range matching is proxy-addr's.
 */
import { SocketAddress, isIP } from 'node:net';
import proxyaddr from 'proxy-addr';

/** What libuv prints for an IPv4-mapped address (RFC 4291 §2.5.5.2), whatever spelling it was given. */
const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;
const DOTTED_TAIL = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const PREFIX = /^\d{1,3}$/;

/**
 * `text` in canonical form: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`, no zone), with
 * IPv4-mapped IPv6 folded into the IPv4 address it carries (a dual-stack socket reports IPv4 clients that way).
 * Undefined when it is not an IP literal.
 */
export function normalizeIpAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family === 0) return undefined;
  const canonical = new SocketAddress({ address: text, family: 'ipv6' }).address;
  const mapped = MAPPED.exec(canonical);
  if (mapped) return mapped[1];
  // libuv also prints the deprecated IPv4-compatible form (`::192.0.2.1`) dotted; RFC 5952 §5 keeps that for mapped.
  return canonical.replace(DOTTED_TAIL, (_, a: string, b: string, c: string, d: string) => `${hex(a, b)}:${hex(c, d)}`);
}

function hex(high: string, low: string): string {
  return ((Number(high) << 8) | Number(low)).toString(16);
}

/**
 * Where to reach, from this machine, a listener bound to `host`: the loopback address of its family for a wildcard
 * (`0.0.0.0` or an empty host → 127.0.0.1, `::` → ::1), else `host` itself.
 */
export function localAddressFor(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (isIP(host) === 6 && normalizeIpAddress(host) === '::') return '::1';
  return host;
}

/** `ADDRESS` or `ADDRESS/PREFIX` (CIDR), IPv4 or IPv6, without a zone: what the trusted-proxy setting accepts. */
export function isIpRange(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || address.includes('%') || rest.length > 0) return false;
  return prefix === undefined || (PREFIX.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** "Is this address one of the trusted proxies?" IPv4-mapped addresses match IPv4 ranges; families never mix otherwise. */
export type TrustedProxies = (address: string) => boolean;

/**
 * Compiles the trusted-proxy setting once. Throws a TypeError naming an entry that is not an address or CIDR range
 * (the settings schema has refused those already). Addresses are canonicalised before proxy-addr sees them, so that
 * only strict literals match: its parser would also read `0177.0.0.1` or `2130706433` as 127.0.0.1.
 */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxies {
  for (const entry of entries) {
    if (!isIpRange(entry)) throw new TypeError(`not an IP address or CIDR range: ${JSON.stringify(entry)}`);
  }
  const trust = proxyaddr.compile(entries.flatMap(wholeFamilyAsHalves));
  return (address) => {
    const canonical = normalizeIpAddress(address);
    return canonical !== undefined && trust(canonical, 0);
  };
}

/**
 * proxy-addr refuses a /0 prefix, which the setting has always accepted (a settings file that loaded before must
 * load now): a /0 is given to it as the two /1 halves it is made of.
 */
function wholeFamilyAsHalves(entry: string): string[] {
  const [address = '', prefix] = entry.split('/');
  if (prefix === undefined || Number(prefix) !== 0) return [entry];
  return isIP(address) === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
}

/**
 * The unit a per-address cap counts (the login throttle, the /jet limiter, pending connections): an IPv4 address
 * itself, and for IPv6 its /64 — one home or mobile subscriber gets a whole /64 and can pick any address in it, so
 * the exact address would cap nothing. `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`; `::ffff:1.2.3.4` → `1.2.3.4`;
 * anything that is not an IP literal is taken as given (it still counts against itself).
 */
export function addressGroup(address: string): string {
  const canonical = normalizeIpAddress(address);
  if (canonical === undefined || !canonical.includes(':')) return canonical ?? address;
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return `${[...headGroups, ...zeros, ...tailGroups].slice(0, 4).join(':')}::/64`;
}
