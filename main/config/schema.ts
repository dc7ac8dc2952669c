import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isIP } from 'node:net';
import { HostSchema, PortSchema, isHostAddress } from '../../shared/model/hosts.ts';
import { isIpRange } from '../net/ip-address.ts';
import { MAX_PROVISIONER_KEYS, ProvisionerKeySchema } from '../security/trusted-keys.ts';
import { CERTIFICATE_KEY_TYPES, DEFAULT_CERTIFICATE_KEY_TYPE } from '../certs/local-ca.ts';

/** Seconds a PAA access token lives when nobody asks otherwise: long enough to open the file, short enough to leak little. */
export const DEFAULT_PAA_TTL_SECONDS = 15 * 60;
/** The longest PAA token the gateway will mint (a day); longer access is a per-device token with revocation. */
export const MAX_PAA_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_LISTEN_PORT = 8443;
/** The longest consent or service message, in UTF-16 code units (a banner, not a document; cbLen is a u16). */
export const MAX_GATEWAY_MESSAGE_CHARS = 2048;
/** The longest idle timeout or session lifetime that can be set: a week. */
export const MAX_LIFECYCLE_MINUTES = 7 * 24 * 60;

const ListenSchema = z.object({
  host: z.string().refine((value) => isHostAddress(value), { message: 'not a listen address' }),
  port: PortSchema,
});

/** Text shown to RDP clients: no NUL (it would cut the string short) and no lone surrogate (not UTF-16). */
const GatewayMessageSchema = z
  .string()
  .max(MAX_GATEWAY_MESSAGE_CHARS)
  .refine((text) => !/\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text), {
    message: 'contains a NUL or a lone surrogate',
  });

/** Durations in minutes may be fractional (0.5 = 30 s); 0 turns the limit off. */
const MinutesSchema = z.number().min(0).max(MAX_LIFECYCLE_MINUTES);

/** How tunnels are kept alive and ended. Each field has a default, so files written before it existed still load. */
export const LifecycleSchema = z
  .object({
    /** A client must reach an open channel within this many seconds of connecting. */
    setupTimeoutSeconds: z.number().min(1).max(600).default(30),
    /** A keepalive goes to a client that heard nothing from the gateway for this many seconds. */
    keepaliveSeconds: z.number().min(1).max(3600).default(30),
    /** No data either way for this long ends the session (announced to the client; 0 = off). */
    idleTimeoutMinutes: MinutesSchema.default(0),
    /** The longest a session may last, whatever its token (0 = off). */
    maxSessionMinutes: MinutesSchema.default(24 * 60),
    /** End a session when its access token expires, instead of only checking the token at connect. */
    endSessionsAtTokenExpiry: z.boolean().default(false),
    /** Shown at connect to clients that support consent messages ('' = none). */
    consentMessage: GatewayMessageSchema.default(''),
    /** Sent once after the channel opens to clients that support service messages ('' = none). */
    serviceMessage: GatewayMessageSchema.default(''),
  })
  .strict();

export type LifecycleSettings = Readonly<z.infer<typeof LifecycleSchema>>;

export function defaultLifecycleSettings(): LifecycleSettings {
  return LifecycleSchema.parse({});
}

/** The TCP relay (RDP preconnection-PDU tokens). Off until `listen` is set (or `serve --relay-listen`). */
export const RelaySchema = z
  .object({
    listen: ListenSchema.optional(),
    /** Seconds after its first use in which an ASSOCIATION token may connect again from the same address. */
    reuseWindowSeconds: z.number().int().min(0).max(300).default(10),
    /** Reconnections allowed within that window (RDP clients reconnect during security negotiation). */
    maxReuses: z.number().int().min(0).max(100).default(10),
  })
  .strict();

/** Wake-on-LAN for hosts with a `mac`: where the magic packet goes and how long a waking host may take. */
export const WakeOnLanSchema = z
  .object({
    broadcastAddress: z
      .string()
      .refine((value) => isIP(value) !== 0, { message: 'not an IP address' })
      .default('255.255.255.255'),
    port: PortSchema.default(9),
    /** How long the gateway keeps retrying a woken host before giving up. */
    bootWaitSeconds: z.number().int().min(1).max(600).default(120),
  })
  .strict();

/**
 * The gateway's own certificate. `keyType` applies to what is created from now on (a first start, `cert regenerate`):
 * an existing certificate is kept whatever its type. RSA by default, which MSTSC and older clients accept.
 */
export const TlsSchema = z
  .object({
    keyType: z.enum(CERTIFICATE_KEY_TYPES).default(DEFAULT_CERTIFICATE_KEY_TYPE),
  })
  .strict();

/**
 * The HTTP front door behind a reverse proxy. `plainListen` adds a plain-HTTP listener for a TLS-terminating proxy
 * (NGINX, cloudflared); forwarded client addresses are believed only from `trustedProxies`.
 */
export const HttpSchema = z
  .object({
    plainListen: ListenSchema.optional(),
    /** Peers whose forwarded-address header is believed: IP addresses or CIDR ranges (IPv4 and IPv6). */
    trustedProxies: z
      .array(z.string().refine(isIpRange, { message: 'not an IP address or CIDR range' }))
      .max(64)
      .default([]),
    /** The header those proxies append the client to; the other one is ignored, so a client cannot spoof it. */
    forwardedHeader: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for'),
  })
  .strict();

/** A deadline in seconds; fractional values allowed (tests use sub-second ones). */
const DeadlineSchema = z.number().min(0.05).max(300);
const CapSchema = z.number().int().min(1).max(65_536);

/** Pairs of limits where the first may not exceed the second (a part may not be larger than the whole). */
const ORDERED_LIMITS = [
  ['tlsHandshakeSeconds', 'requestHeadSeconds'],
  ['maxPendingConnections', 'maxConnections'],
  ['maxPendingConnectionsPerAddress', 'maxPendingConnections'],
  ['maxPendingRelayConnections', 'maxRelayConnections'],
  ['maxPendingRelayConnectionsPerAddress', 'maxPendingRelayConnections'],
  ['maxHalfOpenLegacyPairsPerAddress', 'maxHalfOpenLegacyPairs'],
] as const;

/**
 * Every bound on what a client that has not yet proven anything can hold: how long each step before a token may take
 * (absolute deadlines from accept, not idle timers) and how many such connections are held at once, in all and per
 * client address (per /64 for IPv6). Sized for a home gateway: a family's clients need a handful at a time and
 * each holds one for milliseconds, so the per-address caps are small and the global caps are far below what the
 * process can carry.
 */
export const LimitsSchema = z
  .object({
    /** From TCP accept to a finished TLS handshake. */
    tlsHandshakeSeconds: DeadlineSchema.default(10),
    /** From TCP accept to a complete first request head (the handshake included); later heads get it afresh. */
    requestHeadSeconds: DeadlineSchema.default(20),
    /** Connections on the HTTPS (and plain-HTTP) listener, of every kind. */
    maxConnections: CapSchema.default(4096),
    /** Of those, connections still in their handshake or first request head. */
    maxPendingConnections: CapSchema.default(512),
    maxPendingConnectionsPerAddress: CapSchema.default(16),
    /** From TCP accept to a complete preconnection PDU on the relay. */
    relayPduSeconds: DeadlineSchema.default(10),
    /** Relay connections of every kind. */
    maxRelayConnections: CapSchema.default(1024),
    /** Relay connections still reading their PDU or having its token checked. */
    maxPendingRelayConnections: CapSchema.default(256),
    maxPendingRelayConnectionsPerAddress: CapSchema.default(8),
    /** How long the first channel of a legacy (two-request) tunnel waits for its partner. */
    legacyPairSeconds: DeadlineSchema.default(15),
    /** Legacy channels waiting for their partner. */
    maxHalfOpenLegacyPairs: CapSchema.default(256),
    maxHalfOpenLegacyPairsPerAddress: CapSchema.default(8),
  })
  .strict()
  .superRefine((limits, ctx) => {
    for (const [low, high] of ORDERED_LIMITS) {
      if (limits[low] > limits[high]) ctx.addIssue({ code: 'custom', path: [low], message: `may not exceed ${high}` });
    }
  });

export type LimitsSettings = Readonly<z.infer<typeof LimitsSchema>>;

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
      /** External issuers' public keys trusted besides the gateway's own (ASSOCIATION, SCOPE, JRL tokens). */
      provisionerKeys: z.array(ProvisionerKeySchema).max(MAX_PROVISIONER_KEYS).default([]),
    }),
    lifecycle: LifecycleSchema.default(defaultLifecycleSettings),
    relay: RelaySchema.default(() => RelaySchema.parse({})),
    wakeOnLan: WakeOnLanSchema.default(() => WakeOnLanSchema.parse({})),
    http: HttpSchema.default(() => HttpSchema.parse({})),
    limits: LimitsSchema.default(() => LimitsSchema.parse({})),
    tls: TlsSchema.default(() => TlsSchema.parse({})),
    /** Headless first-run onboarding progress (the desktop app keeps its own in app-state.json). */
    onboarding: z
      .object({ completedSteps: z.array(z.string().max(64)).max(64), finished: z.boolean() })
      .strict()
      .optional(),
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
    tokens: { paaTtlSeconds: DEFAULT_PAA_TTL_SECONDS, provisionerKeys: [] },
    lifecycle: defaultLifecycleSettings(),
    relay: RelaySchema.parse({}),
    wakeOnLan: WakeOnLanSchema.parse({}),
    http: HttpSchema.parse({}),
    limits: LimitsSchema.parse({}),
    tls: TlsSchema.parse({}),
  };
}

/** Renders zod issues as `path: message` lines a user can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
