/**
 * IP addresses and ranges as the gateway compares them: parsed to bytes, IPv4-mapped IPv6 (`::ffff:192.0.2.1`)
 * folded into IPv4, and printed in one canonical form (RFC 5952 for IPv6), so that the same client is the same
 * string whichever way a socket or a proxy header wrote it. Pure TypeScript: the settings schema uses it too.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface IpRange extends IpAddress {
  /** Leading bits that must match (0–32 or 0–128). */
  readonly prefix: number;
}

const IPV4_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;
/** The first ten zero bytes and two 0xff bytes of an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2). */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => IPV4_OCTET.test(part))) return undefined;
  return Uint8Array.from(parts, Number);
}

function parseIpv6(text: string): Uint8Array | undefined {
  // A zone (`fe80::1%eth0`) names a local interface; it plays no part in comparing addresses.
  const percent = text.indexOf('%');
  if (percent !== -1) {
    if (percent === text.length - 1) return undefined;
    text = text.slice(0, percent);
  }
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return undefined;
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = gap === -1 ? split(text) : split(text.slice(0, gap));
  const tail = gap === -1 ? [] : split(text.slice(gap + 2));
  const parts = [...head, ...tail];
  const groups: number[] = [];
  let ipv4: Uint8Array | undefined;
  for (const [index, part] of parts.entries()) {
    // A dotted IPv4 tail (`::ffff:192.0.2.1`) may only end the address, never come before a `::`.
    if (index === parts.length - 1 && part.includes('.') && (gap === -1 || tail.length > 0)) {
      ipv4 = parseIpv4(part);
      if (!ipv4) return undefined;
    } else if (IPV6_GROUP.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  const groupCount = groups.length + (ipv4 ? 2 : 0);
  if (gap === -1 ? groupCount !== 8 : groupCount > 7) return undefined;
  const headGroups = gap === -1 ? groups : groups.slice(0, head.length);
  const tailGroups = gap === -1 ? [] : groups.slice(head.length);
  const bytes = new Uint8Array(16);
  headGroups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  const tailStart = 16 - (ipv4 ? 4 : 0) - tailGroups.length * 2;
  tailGroups.forEach((group, index) => {
    bytes[tailStart + index * 2] = group >> 8;
    bytes[tailStart + index * 2 + 1] = group & 0xff;
  });
  if (ipv4) bytes.set(ipv4, 12);
  return bytes;
}

function isMapped(bytes: Uint8Array): boolean {
  return bytes.length === 16 && MAPPED_PREFIX.every((byte, index) => bytes[index] === byte);
}

/** Parses an IPv4 or IPv6 literal (no brackets, no port). IPv4-mapped IPv6 comes back as IPv4. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  const ipv4 = parseIpv4(text);
  if (ipv4) return { family: 4, bytes: ipv4 };
  if (!text.includes(':')) return undefined;
  const ipv6 = parseIpv6(text);
  if (!ipv6) return undefined;
  return isMapped(ipv6) ? { family: 4, bytes: ipv6.slice(12) } : { family: 6, bytes: ipv6 };
}

/** The canonical text of an address: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) return Array.from(address.bytes).join('.');
  const groups = Array.from(
    { length: 8 },
    (_, index) => (address.bytes[index * 2] << 8) | address.bytes[index * 2 + 1],
  );
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = (list: number[]): string => list.map((group) => group.toString(16)).join(':');
  // RFC 5952 §4.2.2: a single zero group is not shortened.
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** `text` in canonical form, or undefined when it is not an IP literal. */
export function normalizeIpAddress(text: string): string | undefined {
  const address = parseIpAddress(text);
  return address ? formatIpAddress(address) : undefined;
}

/**
 * Parses `ADDRESS` or `ADDRESS/PREFIX` (CIDR). Bits past the prefix are ignored. An IPv4-mapped IPv6 range with a
 * prefix of 96 or more becomes the IPv4 range it covers, so `::ffff:10.0.0.0/104` equals `10.0.0.0/8`.
 */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (addressText.includes('%')) return undefined;
  const ipv4 = parseIpv4(addressText);
  const bytes = ipv4 ?? (addressText.includes(':') ? parseIpv6(addressText) : undefined);
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  let family: 4 | 6 = bytes.length === 4 ? 4 : 6;
  let rangeBytes = bytes;
  if (family === 6 && isMapped(bytes) && prefix >= 96) {
    family = 4;
    rangeBytes = bytes.slice(12);
    prefix -= 96;
  }
  return { family, bytes: rangeBytes, prefix };
}

export function isIpRange(text: string): boolean {
  return parseIpRange(text) !== undefined;
}

/** True when `address` lies in `range` (IPv4 only ever matches IPv4 ranges, mapped addresses included). */
export function ipInRange(address: IpAddress, range: IpRange): boolean {
  if (address.family !== range.family) return false;
  const wholeBytes = Math.floor(range.prefix / 8);
  for (let index = 0; index < wholeBytes; index += 1) {
    if (address.bytes[index] !== range.bytes[index]) return false;
  }
  const restBits = range.prefix % 8;
  if (restBits === 0) return true;
  const mask = (0xff << (8 - restBits)) & 0xff;
  return (address.bytes[wholeBytes] & mask) === (range.bytes[wholeBytes] & mask);
}

/** A fixed list of ranges, asked "is this address in any of them?". */
export class IpRangeList {
  readonly #ranges: readonly IpRange[];

  /** Throws on an entry that is not an address or CIDR range (the settings schema has checked them already). */
  constructor(entries: readonly string[]) {
    this.#ranges = entries.map((entry) => {
      const range = parseIpRange(entry);
      if (!range) throw new TypeError(`not an IP address or CIDR range: ${JSON.stringify(entry)}`);
      return range;
    });
  }

  get size(): number {
    return this.#ranges.length;
  }

  includes(address: IpAddress | string): boolean {
    const parsed = typeof address === 'string' ? parseIpAddress(address) : address;
    return parsed !== undefined && this.#ranges.some((range) => ipInRange(parsed, range));
  }
}
