import type { SessionInfo } from '../../shared/model/sessions.ts';
import type { ConnectionAttempt } from '../../shared/model/doctor.ts';

/** Where clicking a notification takes the window. */
export type NoticeTarget =
  { readonly view: 'sessions'; readonly sessionId: string } | { readonly view: 'audit'; readonly time: string };

/** One native notification: its words, and where a click on it goes. */
export interface DesktopNotice {
  readonly title: string;
  readonly body: string;
  readonly target: NoticeTarget;
}

/** A refused connection as the notifier takes it: who, to what, why (plain words), when (ISO 8601). */
export interface RefusalReport {
  readonly time: string;
  readonly client: string;
  readonly host: string | undefined;
  readonly reason: string;
}

/** At most this many notifications a minute; a flood (a scanner, a client retrying) is summed up instead. */
export const MAX_NOTICES_PER_MINUTE = 6;
const MAX_TEXT = 200;

export function connectionNotice(session: SessionInfo): DesktopNotice {
  const who = session.clientName ?? session.clientAddress;
  return {
    title: clip(`${who} connected to ${session.host}`),
    body: clip(`From ${session.clientAddress}${transportWords(session.transport)}. Click to see the session.`),
    target: { view: 'sessions', sessionId: session.id },
  };
}

export function refusalNotice(refusal: RefusalReport): DesktopNotice {
  return {
    title: clip(`Connection refused${refusal.host ? ` to ${refusal.host}` : ''}`),
    body: clip(`${refusal.client}: ${refusal.reason}`),
    target: { view: 'audit', time: refusal.time },
  };
}

/** A failed attempt the connection doctor recorded, as a report: its cause in plain words. */
export function refusalFromAttempt(attempt: ConnectionAttempt): RefusalReport {
  return { time: attempt.time, client: attempt.device ?? attempt.client, host: attempt.host, reason: attempt.cause };
}

function transportWords(transport: SessionInfo['transport']): string {
  return transport === 'relay' ? ' through the relay' : transport === 'http' ? ' (legacy HTTP)' : '';
}

function clip(text: string): string {
  const flat = text.replace(/\p{Cc}/gu, ' ');
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
}

/**
 * Lets through at most MAX_NOTICES_PER_MINUTE notices in any minute; the ones held back are counted, and the next
 * notice that passes says how many there were.
 */
export function createNoticeLimiter(
  now: () => number = Date.now,
): (notice: DesktopNotice) => DesktopNotice | undefined {
  const shown: number[] = [];
  let heldBack = 0;
  return (notice) => {
    const t = now();
    while (shown.length > 0 && t - (shown[0] ?? t) >= 60_000) shown.shift();
    if (shown.length >= MAX_NOTICES_PER_MINUTE) {
      heldBack += 1;
      return undefined;
    }
    shown.push(t);
    if (heldBack === 0) return notice;
    const more = heldBack;
    heldBack = 0;
    return { ...notice, body: clip(`${notice.body} (${more} more not shown)`) };
  };
}
