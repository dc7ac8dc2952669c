/**
 * Which address a request really comes from when it may have passed through reverse proxies (NGINX, cloudflared).
 *
 * Threat: `X-Forwarded-For` and `Forwarded` are written by whoever sends the request, so a client can put any
 * address there. They are believed only when the TCP peer is a configured trusted proxy, and then only as far as
 * the chain of trusted proxies goes: walking the list from the right (the hop nearest to us), the first address
 * that is not a trusted proxy is the client. Entries left of it were written by the client and are never used.
 *
 * The ranges are proxy-addr's (`compileTrustedProxies`) and the walk is the one `proxyaddr(req, trust)` makes, but
 * the hops are read here: proxy-addr takes an IncomingMessage (the gateway's own request heads are not one), reads
 * only X-Forwarded-For, keeps a port as part of the address (`203.0.113.7:50123` would be the client, matching no
 * range and no other request from it) and makes a hop it cannot read (`unknown`, garbage) the client. Here ports,
 * brackets and quotes are dropped, RFC 7239 `Forwarded` is read too, and an unreadable hop ends the walk at the
 * trusted proxy that wrote it.
 */
import { compileTrustedProxies, normalizeIpAddress, type TrustedProxies } from '../../net/ip-address.ts';

/** Which header carries the chain. A proxy appends to one of them; honouring the other would let a client spoof it. */
export type ForwardedHeaderName = 'x-forwarded-for' | 'forwarded';

/** At most this many hops are examined, right to left; a longer chain ends at the last one examined. */
export const MAX_FORWARDED_HOPS = 32;

export interface ClientAddressPolicy {
  /** Trusted proxies: IP addresses and CIDR ranges, IPv4 and IPv6 (`compileTrustedProxies`). */
  readonly trustedProxies: TrustedProxies;
  readonly header: ForwardedHeaderName;
}

export interface ClientAddress {
  /** The client as far as we can trust the chain, canonical (IPv4-mapped IPv6 folded into IPv4). */
  readonly address: string;
  /** The TCP peer, canonical. */
  readonly peer: string;
  /** True when the address came from a forwarded header. */
  readonly forwarded: boolean;
}

/** Resolves the client address of a request from its TCP peer and headers (names lower-cased). */
export function resolveClientAddress(
  peerAddress: string,
  headers: ReadonlyMap<string, string>,
  policy: ClientAddressPolicy,
): ClientAddress {
  const peer = normalizeIpAddress(peerAddress) ?? peerAddress;
  const direct = { address: peer, peer, forwarded: false };
  if (!policy.trustedProxies(peer)) return direct;
  const value = headers.get(policy.header);
  if (value === undefined) return direct;
  const hops = policy.header === 'forwarded' ? forwardedForValues(value) : value.split(',');
  let client = peer;
  for (const hop of hops.reverse().slice(0, MAX_FORWARDED_HOPS)) {
    const address = nodeAddress(hop);
    // A hop that hides its client ("unknown", an obfuscated name, garbage) ends what we can know: the client is the
    // trusted proxy that wrote it.
    if (address === undefined) break;
    client = address;
    if (!policy.trustedProxies(address)) break;
  }
  return client === peer ? direct : { address: client, peer, forwarded: true };
}

/**
 * An address as proxies write it in a hop: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`,
 * `2001:db8::1`, optionally in double quotes (RFC 7239). Returns the canonical address, or undefined.
 */
export function nodeAddress(hop: string): string | undefined {
  let text = hop.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/\\(.)/g, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return normalizeIpAddress(bracketed[1] ?? '');
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (ipv4WithPort) text = ipv4WithPort[1] ?? '';
  return normalizeIpAddress(text);
}

/**
 * The `for=` value of each element of a `Forwarded` header (RFC 7239 §4), in order. An element without `for=`
 * yields `unknown`, so that it still ends the walk. Quoted strings may contain `,` and `;`.
 */
export function forwardedForValues(header: string): string[] {
  const values: string[] = [];
  let forValue: string | undefined;
  let pair = '';
  let quoted = false;
  const endPair = (): void => {
    const equals = pair.indexOf('=');
    if (equals !== -1 && pair.slice(0, equals).trim().toLowerCase() === 'for') {
      forValue ??= pair.slice(equals + 1).trim();
    }
    pair = '';
  };
  for (let index = 0; index < header.length; index += 1) {
    const char = header[index];
    if (quoted) {
      pair += char;
      if (char === '\\' && index + 1 < header.length) {
        index += 1;
        pair += header[index];
      } else if (char === '"') quoted = false;
      continue;
    }
    if (char === '"') {
      quoted = true;
      pair += char;
    } else if (char === ';') {
      endPair();
    } else if (char === ',') {
      endPair();
      values.push(forValue ?? 'unknown');
      forValue = undefined;
    } else {
      pair += char;
    }
  }
  endPair();
  values.push(forValue ?? 'unknown');
  return values;
}

export interface ForwardingSettings {
  readonly trustedProxies: readonly string[];
  readonly forwardedHeader: ForwardedHeaderName;
}

/**
 * A resolver for the gateway server that follows the settings as they change (a new settings value is a new
 * object, so the trusted proxies are compiled again only when they did). Returns the canonical client address.
 */
export function createClientAddressResolver(
  current: () => ForwardingSettings,
): (peerAddress: string, headers: ReadonlyMap<string, string>) => string {
  let cached: { readonly source: ForwardingSettings; readonly policy: ClientAddressPolicy } | undefined;
  return (peerAddress, headers) => {
    const source = current();
    if (cached?.source !== source) {
      cached = {
        source,
        policy: { trustedProxies: compileTrustedProxies(source.trustedProxies), header: source.forwardedHeader },
      };
    }
    return resolveClientAddress(peerAddress, headers, cached.policy).address;
  };
}
