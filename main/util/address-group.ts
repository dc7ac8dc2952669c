/**
 * The unit a per-address connection cap counts: an IPv4 address itself, and for IPv6 its /64 — one home or
 * mobile subscriber gets a whole /64 and can pick any address in it, so the exact address would cap nothing.
 */
import { isIPv6 } from 'node:net';

const GROUPS = 8;
const GROUP_PREFIX = 4;

/** `203.0.113.7` → `203.0.113.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`; `::ffff:1.2.3.4` → `1.2.3.4`. */
export function addressGroup(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = expandIpv6(address.split('%')[0] ?? address);
  // IPv4-mapped (::ffff:a.b.c.d, in either spelling) is an IPv4 client on a dual-stack socket.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, GROUP_PREFIX)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail counts as two). */
function expandIpv6(address: string): number[] {
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const gap = address.indexOf('::');
  if (gap === -1) return toGroups(address);
  const head = toGroups(address.slice(0, gap));
  const tail = toGroups(address.slice(gap + 2));
  return [...head, ...Array<number>(GROUPS - head.length - tail.length).fill(0), ...tail];
}
