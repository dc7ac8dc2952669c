import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HostSchema, PortSchema, isHostAddress } from '../../shared/model/hosts.ts';

/** Seconds a PAA access token lives when nobody asks otherwise: long enough to open the file, short enough to leak little. */
export const DEFAULT_PAA_TTL_SECONDS = 15 * 60;
/** The longest PAA token the gateway will mint (a day); longer access is a per-device token with revocation. */
export const MAX_PAA_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_LISTEN_PORT = 8443;

const ListenSchema = z.object({
  host: z.string().refine((value) => isHostAddress(value), { message: 'not a listen address' }),
  port: PortSchema,
});

/** The settings file as stored on disk (`settings.json`). Every field has a default so older files keep loading. */
export const SettingsFileSchema = z
  .object({
    version: z.literal(1),
    /** Identifies this gateway in every token (`jet_gw_id`), so a token minted here is useless elsewhere. */
    gatewayId: z.uuid(),
    listen: ListenSchema,
    /** Public names clients use to reach the gateway (DNS names or IPs): they go in the certificate and .rdp files. */
    publicNames: z.array(z.string().refine(isHostAddress, { message: 'not a host name or IP address' })).max(32),
    hosts: z.array(HostSchema).max(1000),
    tokens: z.object({
      paaTtlSeconds: z.number().int().min(30).max(MAX_PAA_TTL_SECONDS),
    }),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Set<string>();
    settings.hosts.forEach((host, index) => {
      const key = host.name.toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['hosts', index, 'name'], message: `duplicate host name "${host.name}"` });
      }
      seen.add(key);
    });
  });

export type Settings = Readonly<z.infer<typeof SettingsFileSchema>>;

export function defaultSettings(): Settings {
  return {
    version: 1,
    gatewayId: randomUUID(),
    listen: { host: '0.0.0.0', port: DEFAULT_LISTEN_PORT },
    publicNames: [],
    hosts: [],
    tokens: { paaTtlSeconds: DEFAULT_PAA_TTL_SECONDS },
  };
}

/** Renders zod issues as `path: message` lines a user can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
