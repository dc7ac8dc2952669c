import { isIP } from 'node:net';
import { hostname as osHostname, networkInterfaces as osNetworkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { InvalidPublicNameError } from './errors.ts';

/** The names a server certificate is valid for, split by SAN type. DNS names are lowercase, IPs canonical. */
export interface SubjectAltNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
}

export interface DefaultSubjectAltNamesOptions {
  /** Names clients use from outside (a DNS name or an IP literal each), from the config. */
  publicNames: readonly string[];
  /** Defaults to `os.hostname()`; injectable for tests. */
  hostname?: string;
  /** Defaults to `os.networkInterfaces()`; injectable for tests. */
  networkInterfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export type PublicName = { readonly kind: 'dns' | 'ip'; readonly value: string };

const MAX_DNS_NAME_LENGTH = 253;
/** RFC 1123 §2.1 host name label: letters, digits, hyphens, 1 to 63 characters, no hyphen at either end. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const ALL_DIGITS = /^[0-9]+$/;

/**
 * The names the gateway's certificate should cover: `localhost`, this machine's host name, the loopback
 * addresses, its LAN addresses, then the configured public names. Deduplicated; the order is stable for
 * the same inputs (LAN addresses are sorted, IPv4 first) so that the certificate does not churn.
 * Throws `InvalidPublicNameError` naming the first public name that is neither a DNS name nor an IP.
 */
export function defaultSubjectAltNames(options: DefaultSubjectAltNamesOptions): SubjectAltNames {
  const publicNames = options.publicNames.map(parsePublicName);
  const dnsNames = new Set<string>(['localhost']);
  const ipAddresses = new Set<string>(['127.0.0.1', '::1']);

  // A host name that is not a valid DNS name (an underscore, say) cannot go in a certificate; skip it
  // rather than refuse to start: clients can still use the IP addresses or a public name.
  const host = (options.hostname ?? osHostname()).toLowerCase();
  if (isDnsName(host)) dnsNames.add(host);

  for (const address of lanAddresses(options.networkInterfaces ?? osNetworkInterfaces())) ipAddresses.add(address);

  for (const name of publicNames) {
    if (name.kind === 'dns') dnsNames.add(name.value);
    else ipAddresses.add(name.value);
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/**
 * Classifies and normalizes one configured public name: an IP literal (canonical form) or a DNS host name
 * (lowercase). Throws `InvalidPublicNameError` explaining what is wrong with it.
 */
export function parsePublicName(name: string): PublicName {
  const ipVersion = isIP(name);
  if (ipVersion !== 0) {
    // A zone index (fe80::1%eth0) only means something on this machine; it cannot go in a certificate.
    if (name.includes('%')) throw new InvalidPublicNameError(name, 'an IPv6 zone index is not allowed');
    return { kind: 'ip', value: normalizeIpAddress(name) };
  }
  if (name.length === 0) throw new InvalidPublicNameError(name, 'it is empty');
  if (name.startsWith('[')) {
    throw new InvalidPublicNameError(name, 'write an IPv6 address without brackets');
  }
  if (name.includes('*')) throw new InvalidPublicNameError(name, 'wildcard names are not supported');
  if (name.endsWith('.')) throw new InvalidPublicNameError(name, 'remove the trailing dot');
  if (name.length > MAX_DNS_NAME_LENGTH) {
    throw new InvalidPublicNameError(name, `a DNS name has at most ${MAX_DNS_NAME_LENGTH} characters`);
  }
  if (!isDnsName(name)) {
    throw new InvalidPublicNameError(
      name,
      'it is neither an IP address nor a DNS name (labels of 1-63 letters, digits or hyphens, ' +
        'separated by dots, not starting or ending with a hyphen)',
    );
  }
  return { kind: 'dns', value: name.toLowerCase() };
}

/** True for an RFC 1123 host name whose last label is not all digits (so `1.2.3.999` is not a name). */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DNS_NAME_LENGTH) return false;
  const labels = name.split('.');
  if (!labels.every((label) => DNS_LABEL.test(label))) return false;
  return !ALL_DIGITS.test(labels[labels.length - 1] ?? '');
}

/**
 * Canonical text form of an IP address, so that the same address written two ways compares equal
 * (`0:0:0:0:0:0:0:1` and `::1`, upper- and lowercase hex). Throws a TypeError for anything else.
 */
export function normalizeIpAddress(address: string): string {
  const version = isIP(address);
  if (version === 4) return address;
  if (version === 6 && !address.includes('%')) {
    // The WHATWG URL parser serializes IPv6 hosts per RFC 5952 (lowercase, longest zero run compressed).
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  }
  throw new TypeError(`Not an IP address without zone: ${address}`);
}

/**
 * The machine's non-loopback addresses that other devices can reach and that are stable enough to put
 * in a certificate: link-local ones (fe80::/10 with their zone, 169.254.0.0/16) are excluded because they
 * are per-link and change, and a name valid on one link means nothing on another.
 */
function lanAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4') {
        if (info.address.startsWith('169.254.')) continue;
        if (isIP(info.address) === 4) v4.push(info.address);
      } else {
        if (info.scopeid !== 0 || info.address.includes('%') || isIPv6LinkLocal(info.address)) continue;
        if (isIP(info.address) === 6) v6.push(normalizeIpAddress(info.address));
      }
    }
  }
  const unique = (list: string[]): string[] => [...new Set(list)].sort();
  return [...unique(v4), ...unique(v6)];
}

function isIPv6LinkLocal(address: string): boolean {
  // fe80::/10 covers fe80 to febf in the first group.
  return /^fe[89ab][0-9a-f]:/i.test(address);
}
