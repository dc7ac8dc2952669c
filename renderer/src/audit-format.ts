import type { AuditEntry, IssuedToken } from '../../shared/model/ui.ts';
import { formatBytes, formatSeconds } from './format.ts';

/**
 * The audit log as a person reads it: a short name for each event, one sentence of what happened with host and
 * device names, sizes and durations (not raw ids and byte counts), and the line itself for whoever wants it.
 * Pure: no DOM, unit-tested in Node.
 */

export const AUDIT_EVENT_LABELS: Readonly<Record<string, string>> = {
  'tunnel.connect': 'Connected',
  'tunnel.end': 'Disconnected',
  'tunnel.refused': 'Refused',
  'connection.dropped': 'Dropped',
  'session.disconnected': 'Ended by admin',
  'admin.login': 'Signed in',
  'admin.login-refused': 'Wrong password',
  'admin.logout': 'Signed out',
  'gateway.paused': 'Paused',
  'gateway.resumed': 'Resumed',
  'host.added': 'Host added',
  'host.updated': 'Host changed',
  'host.removed': 'Host removed',
  'host.woken': 'Wake-on-LAN',
  'token.issued': 'Token issued',
  'token.revoked': 'Token revoked',
  'certificate.regenerated': 'Certificate renewed',
  'certificate.imported': 'Certificate imported',
  'settings.updated': 'Settings changed',
  'jrl.updated': 'Revocation list',
  'audit.resumed': 'Audit log resumed',
  'download-link.issued': 'Download link made',
  'download-link.used': 'Download link used',
  'download-link.refused': 'Download link refused',
};

export function auditEventLabel(event: string): string {
  return AUDIT_EVENT_LABELS[event] ?? event;
}

const END_REASONS: Readonly<Record<string, string>> = {
  'client-closed': 'the client closed the connection',
  'target-closed': 'the host closed the connection',
  'target-error': 'the connection to the host failed',
  'transport-error': 'the connection to the client failed',
  'protocol-error': 'the client broke the protocol',
  'admin-disconnect': 'an administrator disconnected it',
  shutdown: 'the gateway shut down',
  'idle-timeout': 'it was idle too long',
  lifetime: 'it reached the longest session allowed',
  'token-expired': 'its token expired',
  revoked: 'its token was revoked',
};

const DROP_REASONS: Readonly<Record<string, string>> = {
  'tls-handshake-timeout': 'it did not finish the TLS handshake in time',
  'no-request': 'it sent no request',
  'slow-head': 'its request did not arrive in time',
  'no-partner': 'the other half of its legacy HTTP pair never came',
};

const DOWNLOAD_REFUSALS: Readonly<Record<string, string>> = {
  used: 'it was already used',
  expired: 'it had expired',
  unknown: 'no such link',
  failed: 'its file could not be made',
};

const TOKEN_KINDS: Readonly<Record<string, string>> = {
  paa: 'short-lived',
  device: 'per-device',
  association: 'relay',
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** Who did an admin action: "from 192.0.2.7" on the web page, "in the app" from the desktop window. */
function actorText(entry: AuditEntry): string {
  const client = text(entry.client);
  if (entry.via === 'app') return ' in the app';
  return client ? ` from ${client}` : '';
}

/** A token as people call it: its device or label when known, else the start of its id. */
export function tokenName(tokenId: unknown, tokens: ReadonlyMap<string, IssuedToken>): string | undefined {
  const id = text(tokenId);
  if (!id) return undefined;
  const token = tokens.get(id.toLowerCase());
  const name = token?.device ?? token?.label;
  if (name) return `“${name}”`;
  if (token) return `a ${TOKEN_KINDS[token.kind] ?? token.kind} token`;
  return `token ${id.slice(0, 8)}…`;
}

/** `30 min`, `1 h 5 min`, `42 s`: a session's length in words. */
export function formatLength(milliseconds: number): string {
  return formatSeconds(Math.max(0, Math.round(milliseconds / 1000)));
}

/** Who and what a line names, as the sentences say them. */
interface Named {
  readonly host: string | undefined;
  readonly client: string | undefined;
  readonly token: string | undefined;
  readonly withToken: string;
}

/** One sentence: what happened, to which host, from which client or device. */
export function describeAudit(entry: AuditEntry, tokens: ReadonlyMap<string, IssuedToken>): string {
  const token = tokenName(entry.tokenId, tokens);
  const named: Named = {
    host: text(entry.host),
    client: text(entry.clientName) ?? text(entry.client),
    token,
    withToken: token ? ` with ${token}` : '',
  };
  return describeConnection(entry, named) ?? describeAdminAction(entry, named);
}

/** What clients did: tunnels, connections closed early, download links; undefined for anything else. */
function describeConnection(entry: AuditEntry, { host, client, withToken }: Named): string | undefined {
  switch (entry.event) {
    case 'tunnel.connect':
      return `${client ?? 'A client'} connected to ${host ?? 'a host'}${withToken}.`;
    case 'tunnel.end': {
      const duration = count(entry.durationMs);
      const reason = END_REASONS[text(entry.reason) ?? ''] ?? text(entry.reason);
      const up = count(entry.bytesToTarget);
      const down = count(entry.bytesToClient);
      const traffic =
        up !== undefined && down !== undefined ? ` Sent ${formatBytes(up)}, received ${formatBytes(down)}.` : '';
      return (
        `${client ?? 'A client'} left ${host ?? 'a host'}${duration === undefined ? '' : ` after ${formatLength(duration)}`}` +
        `${reason ? `: ${reason}` : ''}.${traffic}`
      );
    }
    case 'tunnel.refused': {
      const detail = text(entry.detail) ?? text(entry.reason);
      return `Refused ${client ?? 'a client'}${host ? ` on its way to ${host}` : ''}${withToken}${detail ? `: ${detail}` : ''}.`;
    }
    case 'connection.dropped': {
      const reason = DROP_REASONS[text(entry.reason) ?? ''] ?? text(entry.reason);
      return `Closed a connection from ${client ?? 'a client'} before it asked for anything${reason ? `: ${reason}` : ''}.`;
    }
    case 'download-link.issued':
      return `Made a one-time download link of ${host ?? 'a host'}.rdp for “${text(entry.device) ?? 'a device'}”${actorText(entry)}.`;
    case 'download-link.used':
      return `${client ?? 'A device'} downloaded ${host ?? 'a host'}.rdp with a one-time link.`;
    case 'download-link.refused':
      return `Refused a download link${host ? ` of ${host}.rdp` : ''} to ${client ?? 'a client'}: ${DOWNLOAD_REFUSALS[text(entry.reason) ?? ''] ?? 'it does not work'}.`;
    default:
      return undefined;
  }
}

/** What administrators and the gateway itself did, and anything unknown as its name. */
function describeAdminAction(entry: AuditEntry, { host, token, withToken }: Named): string {
  switch (entry.event) {
    case 'session.disconnected':
      return `Disconnected a session on ${host ?? 'a host'}${withToken}${actorText(entry)}.`;
    case 'admin.login':
      return `Signed in to the admin page${actorText(entry)}.`;
    case 'admin.login-refused':
      return `A wrong admin password was given${actorText(entry)}.`;
    case 'admin.logout':
      return `Signed out of the admin page${actorText(entry)}.`;
    case 'gateway.paused':
      return `Paused new connections${actorText(entry)}.`;
    case 'gateway.resumed':
      return `Accepting connections again${actorText(entry)}.`;
    case 'host.added': {
      const address = text(entry.address);
      const port = count(entry.port);
      return `Added ${host ?? 'a host'}${address ? ` at ${address}${port === undefined ? '' : `:${port}`}` : ''}${actorText(entry)}.`;
    }
    case 'host.updated':
      return `Changed ${host ?? 'a host'}${actorText(entry)}.`;
    case 'host.removed':
      return `Removed ${host ?? 'a host'}${actorText(entry)}.`;
    case 'host.woken':
      return entry.result === 'sent'
        ? `Sent a wake-up packet to ${host ?? 'a host'}${actorText(entry)}.`
        : `Could not send a wake-up packet to ${host ?? 'a host'}${text(entry.error) ? `: ${text(entry.error)}` : ''}${actorText(entry)}.`;
    case 'token.issued': {
      const kind = TOKEN_KINDS[text(entry.kind) ?? ''] ?? 'a';
      const device = text(entry.device);
      const purpose = entry.purpose === 'rdp-file' ? ' in an .rdp file' : '';
      return `Issued a ${kind} token for ${host ?? 'a host'}${device ? ` on “${device}”` : ''}${purpose}${actorText(entry)}.`;
    }
    case 'token.revoked':
      return `Revoked ${token ?? 'a token'}${host ? ` for ${host}` : ''}${actorText(entry)}.`;
    case 'certificate.regenerated':
      return `Issued a new local certificate${actorText(entry)}.`;
    case 'certificate.imported':
      return `Now serving an imported certificate${text(entry.subject) ? ` for ${text(entry.subject)}` : ''}${actorText(entry)}.`;
    case 'settings.updated': {
      const changed = Array.isArray(entry.changed) ? entry.changed.filter((item) => typeof item === 'string') : [];
      return `Changed the settings${changed.length > 0 ? ` (${changed.join(', ')})` : ''}${actorText(entry)}.`;
    }
    case 'jrl.updated': {
      const ended = Array.isArray(entry.endedSessions) ? entry.endedSessions.length : 0;
      return `The revocation list changed${ended > 0 ? `; ${ended === 1 ? '1 session' : `${ended} sessions`} ended` : ''}.`;
    }
    case 'audit.resumed': {
      const lost = count(entry.dropped) ?? 0;
      const since = text(entry.since);
      return (
        `The audit log could be written again${since ? ` after failing since ${since}` : ''}` +
        `${text(entry.error) ? ` (${text(entry.error)})` : ''}; ${lost === 1 ? '1 line was' : `${lost} lines were`} lost.`
      );
    }
    default:
      return `${entry.event}${host ? ` on ${host}` : ''}.`;
  }
}

/** The line as the log holds it (one JSON object). */
export function rawLine(entry: AuditEntry): string {
  return JSON.stringify(entry);
}

function csvCell(value: string): string {
  // Quote everything that could split a cell or a row; a leading = + - @ is defused against spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const CSV_COLUMNS = ['time', 'event', 'what happened', 'host', 'client', 'token', 'raw'] as const;

/** CSV for a spreadsheet: readable columns first, the raw line last. CRLF line ends as RFC 4180 says. */
export function auditToCsv(entries: readonly AuditEntry[], tokens: ReadonlyMap<string, IssuedToken>): string {
  const rows = entries.map((entry) =>
    [
      entry.time,
      entry.event,
      describeAudit(entry, tokens),
      text(entry.host) ?? '',
      text(entry.clientName) ?? text(entry.client) ?? '',
      tokenName(entry.tokenId, tokens) ?? '',
      rawLine(entry),
    ].map(csvCell),
  );
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.join(','))].join('\r\n') + '\r\n';
}

/** JSON for tools: the records as the log holds them, newest first. */
export function auditToJson(entries: readonly AuditEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}

/** A `yyyy-mm-dd` from a date input as the start of that day here, in ISO; undefined when empty or invalid. */
export function dayStart(day: string, offsetDays = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + offsetDays);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
