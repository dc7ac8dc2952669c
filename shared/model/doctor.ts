/** The connection doctor's findings, as the UI and `homegate doctor --json` show them. Plain data. */

/** Where in a connection an attempt failed, in the order a connection goes through them. */
export type AttemptStage = 'tls' | 'request' | 'token' | 'host' | 'target' | 'session';

/** Why an attempt failed: stable codes (tests and notifications key on them); the words are in `cause` and `fix`. */
export type AttemptCauseCode =
  | 'untrusted-certificate'
  | 'name-not-in-certificate'
  | 'plain-http'
  | 'tls-failed'
  | 'token-missing'
  | 'token-malformed'
  | 'token-expired'
  | 'token-not-yet-valid'
  | 'token-revoked'
  | 'token-other-gateway'
  | 'token-other-host'
  | 'token-invalid'
  | 'token-replayed'
  | 'host-not-allowed'
  | 'target-refused'
  | 'target-no-answer'
  | 'target-unreachable'
  | 'timeout'
  | 'paused'
  | 'protocol-error';

/** Whether Wake-on-LAN was used for an attempt that had to reach a host. */
export type WakeOnLanUse = 'sent' | 'no-mac' | 'off';

/** One failed connection attempt. Never carries a token or anything else secret. */
export interface ConnectionAttempt {
  readonly id: string;
  /** ISO 8601. */
  readonly time: string;
  readonly stage: AttemptStage;
  readonly code: AttemptCauseCode;
  /** What went wrong, in plain words. */
  readonly cause: string;
  /** What to do about it, in plain words: the main text the UI shows. */
  readonly fix: string;
  /** The client's address (behind trusted proxies, the forwarded one). */
  readonly client: string;
  /** The device label of the token it used, when the token was a device token the gateway knows. */
  readonly device?: string;
  /** `websocket`, `http` (legacy), `relay`, or `tls` when it never got as far as a request. */
  readonly transport: string;
  /** The allowed host it was for, when known. */
  readonly host?: string;
  /** What the client asked for (a name and port, or the name it sent in TLS), when it differs from `host`. */
  readonly requested?: string;
  readonly wakeOnLan?: WakeOnLanUse;
  /** Technical detail for the curious (a reason code, an alert name); no secrets. */
  readonly detail?: string;
}

/** Attempts of one device or one client address, newest first. */
export interface AttemptGroup {
  /** `device:LABEL` or `client:ADDRESS`. */
  readonly key: string;
  /** What the UI shows as the group's title. */
  readonly label: string;
  readonly attempts: readonly ConnectionAttempt[];
}

/** The last known reachability of an allowed host (from its latest connection or test). */
export interface HostReachability {
  readonly host: string;
  readonly reachable: boolean;
  /** ISO 8601. */
  readonly at: string;
  /** True when the host answered only after a Wake-on-LAN packet, or the failure came after one. */
  readonly woken: boolean;
  readonly error?: string;
}

/** What "Wake now" did: the magic packet for the host's MAC went to `sentTo` (`address:port`). */
export interface WakeResult {
  readonly host: string;
  readonly mac: string;
  readonly sentTo: string;
}

/** Groups attempts by device label, else client address; groups ordered by their newest attempt. */
export function groupAttempts(attempts: readonly ConnectionAttempt[]): AttemptGroup[] {
  const groups = new Map<string, { label: string; attempts: ConnectionAttempt[] }>();
  const newestFirst = [...attempts].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  for (const attempt of newestFirst) {
    const key = attempt.device === undefined ? `client:${attempt.client}` : `device:${attempt.device}`;
    const label = attempt.device === undefined ? attempt.client : `${attempt.device} (${attempt.client})`;
    const group = groups.get(key);
    if (group) group.attempts.push(attempt);
    else groups.set(key, { label, attempts: [attempt] });
  }
  return [...groups].map(([key, group]) => ({ key, label: group.label, attempts: group.attempts }));
}
