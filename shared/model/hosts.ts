import { z } from 'zod';

/** An allowed host's name: what the user sees, what tokens name and what an .rdp file may use as the target. */
export const HostNameSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, {
  message: 'use 1 to 63 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit',
});

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4_LIKE = /^[\d.]+$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
/** Hex groups, colons and a dotted tail only: no zone, brackets or anything the URL parser would read as more. */
const IPV6_TEXT = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * Whether `value` is an IPv4 literal (four decimal numbers 0–255, no leading zeros) or an IPv6 literal without zone.
 * The renderer has no `node:net`, so IPv6 is read by the WHATWG URL host parser, which it shares with Node; the gateway
 * compares addresses with main/net/ip-address.ts.
 */
function isIpLiteral(value: string): boolean {
  if (IPV4.test(value)) return true;
  return IPV6_TEXT.test(value) && value.includes(':') && URL.canParse(`http://[${value}]/`);
}

/**
 * Why `value` is not an address the gateway can dial or be reached at, in words for the person who typed it; undefined
 * when it is one: an IPv4 literal, an IPv6 literal (no brackets, no zone) or an RFC 1123 host name whose last label is
 * not all digits (so `300.1.1.1` is a bad IPv4 address, not a name). One set of rules for the CLI, the contract and
 * the forms.
 */
export function hostAddressProblem(value: string): string | undefined {
  if (value.length === 0) return 'enter a host name or IP address';
  if (value.length > 253) return 'too long for a host name (253 characters at most)';
  if (/\s/.test(value)) return 'no spaces';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes('/'))
    return 'just the name or address, no https:// or path';
  if (value.startsWith('[') || value.endsWith(']')) return 'no brackets: put the port in its own field';
  if (value.includes(':')) {
    const colons = value.split(':').length - 1;
    if (colons === 1) return 'no port here: put it in its own field';
    if (value.includes('%')) return 'an IPv6 zone (%…) cannot be used here';
    return isIpLiteral(value) ? undefined : 'not a valid IPv6 address';
  }
  if (IPV4_LIKE.test(value)) {
    return isIpLiteral(value)
      ? undefined
      : 'not a valid IPv4 address: four numbers from 0 to 255, such as 192.168.1.20';
  }
  const labels = value.split('.');
  if (!labels.every((label) => DNS_LABEL.test(label))) {
    return 'not a valid host name: letters, digits and hyphens between dots, such as desktop.lan';
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return 'not a valid host name or IPv4 address';
  return undefined;
}

/** True for an IPv4 literal, an IPv6 literal (without brackets or zone) or an RFC 1123 host name. */
export function isHostAddress(value: string): boolean {
  return hostAddressProblem(value) === undefined;
}

/** A host address as the contract and the settings take it, with the reason in the message when it is not one. */
export const HostAddressSchema = z.string().superRefine((value, context) => {
  const problem = hostAddressProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

export const PortSchema = z.number().int().min(1).max(65535);

export const MacAddressSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, { message: 'use six hex pairs such as 00:11:22:33:44:55' });

export const HostSchema = z.object({
  name: HostNameSchema,
  /** Where the gateway dials: a host name or an IP literal, as seen from the gateway. */
  address: HostAddressSchema,
  port: PortSchema,
  mac: MacAddressSchema.optional(),
});

export type Host = z.infer<typeof HostSchema>;

export const DEFAULT_RDP_PORT = 3389;

/** Why a port typed as text is not one; undefined when it is a plain decimal number from 1 to 65535. */
export function portProblem(text: string): string | undefined {
  if (!/^\d{1,5}$/.test(text) || !PortSchema.safeParse(Number(text)).success) return 'use a port from 1 to 65535';
  return undefined;
}

export type HostAndPortResult =
  | { readonly ok: true; readonly host: string; readonly port: number }
  | { readonly ok: false; readonly field: 'address' | 'port'; readonly problem: string };

/**
 * Reads `HOST[:PORT]` as typed by a user, saying what is wrong when it is not an address: an IPv4 address or name
 * with an optional `:PORT`, a bracketed IPv6 address with an optional port (`[::1]:3389`, `[fe80::1]`) or a bare
 * IPv6 address (which then takes the default port).
 */
export function readHostAndPort(text: string, defaultPort = DEFAULT_RDP_PORT): HostAndPortResult {
  const value = text.trim();
  let host = value;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (!host.includes(':')) return { ok: false, field: 'address', problem: 'brackets are only for IPv6 addresses' };
  } else if (value.split(':').length === 2) {
    [host = '', portText] = value.split(':');
  }
  const hostProblem = hostAddressProblem(host);
  if (hostProblem !== undefined) return { ok: false, field: 'address', problem: hostProblem };
  if (portText === undefined) return { ok: true, host, port: defaultPort };
  const problem = portProblem(portText);
  if (problem !== undefined) return { ok: false, field: 'port', problem };
  return { ok: true, host, port: Number(portText) };
}

/** `readHostAndPort` without the reason: undefined when the text is not a valid address and port. */
export function parseHostAndPort(
  text: string,
  defaultPort = DEFAULT_RDP_PORT,
): { host: string; port: number } | undefined {
  const result = readHostAndPort(text, defaultPort);
  // The default counts only if it is a port: `0` means "the text must give one".
  return result.ok && PortSchema.safeParse(result.port).success ? { host: result.host, port: result.port } : undefined;
}

/** Formats a host and port the way `parseHostAndPort` reads it back. */
export function formatHostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
