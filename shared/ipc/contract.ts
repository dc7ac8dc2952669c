import { z } from 'zod';
import { HostNameSchema, HostSchema } from '../model/hosts.ts';
import type { Host } from '../model/hosts.ts';
import type { ConnectionAttempt, HostReachability, WakeResult } from '../model/doctor.ts';
import { OnboardingProgressSchema, type LocalRdpServer } from '../model/onboarding.ts';
import type { SessionInfo } from '../model/sessions.ts';
import type { AuditEntry, CertificateInfo, DownloadLink, ExportedFile, HostProbe, IssuedToken } from '../model/ui.ts';

/**
 * The one contract between the main process and the renderer: every call with its input schema and output
 * type, every event with its payload type. Main validates each input against its schema before a handler runs;
 * preload builds `window.homegate` from these names; the renderer's API type is derived from this object.
 * Nothing here touches Node or Electron: the same contract is served over HTTP to the headless web admin page.
 */
export interface GatewayStatus {
  readonly listening: { readonly host: string; readonly port: number } | null;
  readonly relayListening: { readonly host: string; readonly port: number } | null;
  readonly paused: boolean;
  readonly certificateFingerprint: string;
  readonly liveSessions: number;
  /** How clients reach the gateway (`host:port`), as .rdp files name it. */
  readonly publicAddress: string;
  readonly version: string;
  /** Set while the audit log cannot be written (disk full, file removed): since when, why, lines lost so far. */
  readonly auditLogProblem: { readonly since: string; readonly error: string; readonly dropped: number } | null;
}

/** The settings a user edits in the UI (everything else stays in the file). */
export const EditableSettingsSchema = z
  .object({
    publicNames: z.array(z.string().min(1).max(253)).max(32),
    paaTtlSeconds: z
      .number()
      .int()
      .min(30)
      .max(24 * 60 * 60),
    idleTimeoutMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60),
    maxSessionMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60),
    consentMessage: z.string().max(1024),
    serviceMessage: z.string().max(1024),
  })
  .strict();
export type EditableSettings = z.infer<typeof EditableSettingsSchema>;

const RdpOptionsSchema = z
  .object({
    screenMode: z.enum(['window', 'fullscreen']).default('fullscreen'),
    multiMonitor: z.boolean().default(false),
    clipboard: z.boolean().default(true),
    drives: z.boolean().default(false),
    audio: z.enum(['local', 'remote', 'off']).default('local'),
    username: z
      .string()
      .max(256)
      .regex(/^[^\p{Cc}]*$/u)
      .optional(),
  })
  .strict();
export type RdpOptions = z.infer<typeof RdpOptionsSchema>;
/** The client options an .rdp file gets when the caller names none. */
export const defaultRdpOptions = (): RdpOptions => RdpOptionsSchema.parse({});

const Empty = z.undefined();
const ByName = z.object({ name: HostNameSchema }).strict();
const ById = z.object({ id: z.uuid() }).strict();
const ByJti = z.object({ jti: z.string().min(1).max(128) }).strict();
const Label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}]*$/u, { message: 'no control characters' });

const TokenRequest = z
  .object({
    host: HostNameSchema,
    ttlSeconds: z
      .number()
      .int()
      .min(30)
      .max(90 * 24 * 60 * 60),
    label: Label.optional(),
    /** A long-lived token bound to one device; listed and revocable at once. */
    device: Label.optional(),
    singleUse: z.boolean().default(false),
  })
  .strict();

const RdpExportRequest = z
  .object({
    host: HostNameSchema,
    mode: z.enum(['gateway', 'relay']),
    ttlSeconds: z
      .number()
      .int()
      .min(30)
      .max(24 * 60 * 60)
      .optional(),
    options: RdpOptionsSchema.default(defaultRdpOptions),
  })
  .strict();

/** A one-time download link of a per-device .rdp file, for a phone to scan. */
const DownloadLinkRequest = z
  .object({
    host: HostNameSchema,
    device: Label,
    /** How long the file's device token lives (the link itself lasts minutes). */
    ttlSeconds: z
      .number()
      .int()
      .min(30)
      .max(90 * 24 * 60 * 60)
      .default(30 * 24 * 60 * 60),
  })
  .strict();

const MAX_IMPORT_BASE64_CHARS = 1_400_000;
const CertImportRequest = z.union([
  z
    .object({
      certPem: z.string().min(1).max(MAX_IMPORT_BASE64_CHARS),
      keyPem: z
        .string()
        .min(1)
        .max(64 * 1024),
    })
    .strict(),
  z.object({ pfxBase64: z.string().min(1).max(MAX_IMPORT_BASE64_CHARS), passphrase: z.string().max(1024) }).strict(),
]);

const CaExportRequest = z.object({ format: z.enum(['pem', 'der', 'crt', 'android', 'mobileconfig']) }).strict();

/** One page of the audit log, filtered; `before` is the `next` cursor of the page before. */
const AuditQuery = z
  .object({
    limit: z.number().int().min(1).max(500),
    before: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    event: z.string().max(64).optional(),
    search: z.string().max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export interface AuditPage {
  /** Newest first. */
  readonly entries: readonly AuditEntry[];
  /** Pass as `before` for the next, older page; undefined at the start of the log. */
  readonly next: number | undefined;
}

const call = <Input extends z.ZodType, Output>(input: Input) => ({ input, output: undefined as unknown as Output });

export const contract = {
  calls: {
    'gateway.status': call<typeof Empty, GatewayStatus>(Empty),
    'gateway.setPaused': call<z.ZodObject<{ paused: z.ZodBoolean }>, GatewayStatus>(
      z.object({ paused: z.boolean() }).strict(),
    ),

    'sessions.list': call<typeof Empty, readonly SessionInfo[]>(Empty),
    'sessions.disconnect': call<typeof ById, boolean>(ById),

    'hosts.list': call<typeof Empty, readonly Host[]>(Empty),
    'hosts.add': call<typeof HostSchema, Host>(HostSchema),
    'hosts.update': call<z.ZodObject<{ name: typeof HostNameSchema; host: typeof HostSchema }>, Host>(
      z.object({ name: HostNameSchema, host: HostSchema }).strict(),
    ),
    'hosts.remove': call<typeof ByName, boolean>(ByName),
    'hosts.test': call<typeof ByName, HostProbe>(ByName),
    /** Sends the Wake-on-LAN magic packet for a host with a MAC (`invalid-input` for one without). */
    'hosts.wake': call<typeof ByName, WakeResult>(ByName),

    'tokens.list': call<typeof Empty, readonly IssuedToken[]>(Empty),
    /** The only call that returns a secret: the token the user asked for, shown once to copy. */
    'tokens.issue': call<typeof TokenRequest, { readonly token: string; readonly issued: IssuedToken }>(TokenRequest),
    'tokens.revoke': call<typeof ByJti, boolean>(ByJti),

    'rdp.export': call<typeof RdpExportRequest, ExportedFile>(RdpExportRequest),
    /** Returns a secret, like `tokens.issue`: a link that downloads the file once, within minutes (a QR code). */
    'rdp.downloadLink': call<typeof DownloadLinkRequest, DownloadLink>(DownloadLinkRequest),

    'certs.info': call<typeof Empty, CertificateInfo>(Empty),
    'certs.regenerate': call<typeof Empty, CertificateInfo>(Empty),
    'certs.import': call<typeof CertImportRequest, CertificateInfo>(CertImportRequest),
    /** The local CA as each platform imports it: PEM, DER, PEM as .crt, Android's DER .crt, an Apple profile. */
    'certs.exportCa': call<typeof CaExportRequest, ExportedFile>(CaExportRequest),

    'settings.get': call<typeof Empty, EditableSettings>(Empty),
    'settings.update': call<typeof EditableSettingsSchema, EditableSettings>(EditableSettingsSchema),

    'audit.list': call<z.ZodObject<{ limit: z.ZodNumber }>, readonly AuditEntry[]>(
      z.object({ limit: z.number().int().min(1).max(1000) }).strict(),
    ),

    /** The connection doctor's recent failed attempts, newest first (group them with `groupAttempts`). */
    'doctor.attempts': call<typeof Empty, readonly ConnectionAttempt[]>(Empty),
    'doctor.clear': call<typeof Empty, boolean>(Empty),
    /** Each host's last known reachability (from connections and tests). */
    'doctor.reachability': call<typeof Empty, readonly HostReachability[]>(Empty),
    'audit.query': call<typeof AuditQuery, AuditPage>(AuditQuery),

    /** First-run onboarding: the steps marked done and whether it is over (app-state.json, or settings headless). */
    'onboarding.get': call<typeof Empty, z.output<typeof OnboardingProgressSchema>>(Empty),
    'onboarding.save': call<typeof OnboardingProgressSchema, z.output<typeof OnboardingProgressSchema>>(
      OnboardingProgressSchema,
    ),
    /** "This PC": where RDP answers on this machine's loopback and LAN addresses (a short probe of each). */
    'onboarding.findLocalRdp': call<typeof Empty, readonly LocalRdpServer[]>(Empty),
  },
  events: {
    'sessions.changed': undefined as unknown as readonly SessionInfo[],
    'status.changed': undefined as unknown as GatewayStatus,
    /** One new failed attempt, as the connection doctor explains it (the desktop raises it as a notification). */
    'doctor.attempt': undefined as unknown as ConnectionAttempt,
    /** A host's new last reachability (a dial or a Test), so Hosts shows it without a reload. */
    'doctor.reachability': undefined as unknown as HostReachability,
  },
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract['calls'];
export type EventName = keyof Contract['events'];
/** What a caller sends: defaults may be left out (the schema's input). */
export type CallInput<N extends CallName> = z.input<Contract['calls'][N]['input']>;
/** What a handler receives: the input after validation, defaults filled in (the schema's output). */
export type ParsedCallInput<N extends CallName> = z.output<Contract['calls'][N]['input']>;
export type CallOutput<N extends CallName> = Contract['calls'][N]['output'];
export type EventPayload<N extends EventName> = Contract['events'][N];

/** The API the renderer sees, in the app (`window.homegate`, from preload) and in the browser (web client). */
export type HomegateApi = {
  readonly [N in CallName]: (input: CallInput<N>) => Promise<CallOutput<N>>;
} & {
  readonly on: <N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void) => () => void;
};

export const CALL_NAMES = Object.keys(contract.calls) as CallName[];
export const EVENT_NAMES = Object.keys(contract.events) as EventName[];

/** IPC channel names: one namespace so nothing else on the bus is mistaken for a contract call. */
export const callChannel = (name: CallName): string => `homegate:call:${name}`;
export const eventChannel = (name: EventName): string => `homegate:event:${name}`;

/** The error shape that crosses the boundary: a stable code and a message a person can read, never a stack. */
export interface ContractError {
  readonly code: 'invalid-input' | 'forbidden' | 'not-found' | 'conflict' | 'internal';
  readonly message: string;
}
