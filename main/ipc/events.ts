import type { EventName, EventPayload } from '../../shared/ipc/contract.ts';
import type { HostReachability } from '../../shared/model/doctor.ts';
import type { GatewayService } from '../service.ts';
import { gatewayStatus } from './handlers/gateway.ts';

export type EmitEvent = <N extends EventName>(name: N, payload: EventPayload<N>) => void;

/**
 * `sessions.changed` goes at most this often. It carries every live session (5,000 of them at the bench's top
 * level): built on every start and end, it made opening n tunnels cost O(n²).
 */
export const SESSIONS_CHANGED_INTERVAL_MS = 1000;

export interface ContractEventsOptions {
  /**
   * Whether anything receives the events now (an open window); the session list is built only then. A receiver
   * that appears later loads the list itself, as the renderer does whenever its link opens. Default: always.
   */
  readonly listening?: () => boolean;
  readonly sessionsIntervalMs?: number;
}

/**
 * Feeds the contract's events from the gateway: `sessions.changed` (the whole list) when a session starts, ends or
 * moves bytes, at most once per `sessionsIntervalMs` (the first change after a quiet interval at once, and always
 * the last one), `status.changed` when anything the status shows changes (sessions, pause, certificate, public
 * names), `doctor.attempt` for each failed attempt (at once, one event each), `doctor.reachability` when a host's
 * last reachability changes (a dial or a Test; the last one per host). Other changes in the same turn of the event
 * loop are sent once. Answers a disposer.
 */
export function watchContractEvents(
  service: GatewayService,
  emit: EmitEvent,
  options: ContractEventsOptions = {},
): () => void {
  const listening = options.listening ?? (() => true);
  const sessionsIntervalMs = options.sessionsIntervalMs ?? SESSIONS_CHANGED_INTERVAL_MS;
  let sessionsDue = false;
  let sessionsSentAt = -Infinity;
  let sessionsTimer: NodeJS.Timeout | undefined;
  let statusDue = false;
  const reachabilityDue = new Map<string, HostReachability>();
  let scheduled: NodeJS.Immediate | undefined;
  const sendSessions = (): void => {
    const wait = sessionsSentAt + sessionsIntervalMs - performance.now();
    if (wait > 0) {
      sessionsTimer = setTimeout(() => {
        sessionsTimer = undefined;
        sendSessions();
      }, wait);
      sessionsTimer.unref();
      return;
    }
    sessionsDue = false;
    if (!listening()) return;
    sessionsSentAt = performance.now();
    emit('sessions.changed', service.sessions.list());
  };
  const flush = (): void => {
    scheduled = undefined;
    if (sessionsDue && !sessionsTimer) sendSessions();
    if (statusDue) emit('status.changed', gatewayStatus(service));
    for (const entry of reachabilityDue.values()) emit('doctor.reachability', entry);
    statusDue = false;
    reachabilityDue.clear();
  };
  const schedule = (sessions: boolean, status: boolean): void => {
    sessionsDue ||= sessions && listening();
    statusDue ||= status;
    if (sessionsDue || statusDue || reachabilityDue.size > 0) scheduled ??= setImmediate(flush);
  };
  const disposers = [
    service.sessions.on('start', () => schedule(true, true)),
    service.sessions.on('update', () => schedule(true, false)),
    service.sessions.on('end', () => schedule(true, true)),
    service.onPausedChange(() => schedule(false, true)),
    service.certificates.onChange(() => schedule(false, true)),
    service.audit.onProblemChange(() => schedule(false, true)),
    service.context.settings.onChange((next, previous) => {
      if (next.publicNames !== previous.publicNames) schedule(false, true);
    }),
    service.attempts.onAttempt((attempt) => emit('doctor.attempt', attempt)),
    service.reachability.onChange((entry) => {
      reachabilityDue.set(entry.host.toLowerCase(), entry);
      schedule(false, false);
    }),
  ];
  return () => {
    for (const dispose of disposers) dispose();
    if (scheduled) clearImmediate(scheduled);
    clearTimeout(sessionsTimer);
    scheduled = undefined;
    sessionsTimer = undefined;
  };
}
