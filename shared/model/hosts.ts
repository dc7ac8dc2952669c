import { z } from 'zod';

/** An allowed host's name: what the user sees, what tokens name and what an .rdp file may use as the target. */
export const HostNameSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, {
  message: 'use 1 to 63 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit',
});

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 literal, an IPv6 literal (without brackets or zone) or an RFC 1123 host name. */
export function isHostAddress(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  if (IPV4.test(value)) return true;
  if (value.includes(':')) return /^[0-9A-Fa-f:.]+$/.test(value) && value.split(':').length <= 8;
  return value.split('.').every((label) => DNS_LABEL.test(label));
}

export const PortSchema = z.number().int().min(1).max(65535);

export const MacAddressSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, { message: 'use six hex pairs such as 00:11:22:33:44:55' });

export const HostSchema = z.object({
  name: HostNameSchema,
  /** Where the gateway dials: a host name or an IP literal, as seen from the gateway. */
  address: z.string().refine(isHostAddress, { message: 'not a host name or IP address' }),
  port: PortSchema,
  mac: MacAddressSchema.optional(),
});

export type Host = z.infer<typeof HostSchema>;

export const DEFAULT_RDP_PORT = 3389;

/**
 * Parses `HOST[:PORT]` as typed by a user. IPv6 literals need brackets when a port is given (`[::1]:3389`).
 * Returns undefined when the text is not a valid address.
 */
export function parseHostAndPort(
  text: string,
  defaultPort = DEFAULT_RDP_PORT,
): { host: string; port: number } | undefined {
  let host = text.trim();
  let port = defaultPort;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if ((host.match(/:/g) ?? []).length === 1) {
    const [name, portText] = host.split(':');
    if (!portText || !/^\d+$/.test(portText)) return undefined;
    host = name ?? '';
    port = Number(portText);
  }
  if (!isHostAddress(host) || !PortSchema.safeParse(port).success) return undefined;
  return { host, port };
}

/** Formats a host and port the way `parseHostAndPort` reads it back. */
export function formatHostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
