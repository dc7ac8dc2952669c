import type { EventName, EventPayload } from '../../shared/ipc/contract.ts';
import type { HostReachability } from '../../shared/model/doctor.ts';
import type { GatewayService } from '../service.ts';
import { gatewayStatus } from './handlers/gateway.ts';

export type EmitEvent = <N extends EventName>(name: N, payload: EventPayload<N>) => void;

/**
 * Feeds the contract's events from the gateway: `sessions.changed` (the whole list) when a session starts, ends or
 * moves bytes, `status.changed` when anything the status shows changes (sessions, pause, certificate, public
 * names), `doctor.attempt` for each failed attempt (at once, one event each), `doctor.reachability` when a host's
 * last reachability changes (a dial or a Test; the last one per host). Changes in the same turn of the event loop are
 * sent once. Answers a disposer.
 */
export function watchContractEvents(service: GatewayService, emit: EmitEvent): () => void {
  let sessionsDue = false;
  let statusDue = false;
  const reachabilityDue = new Map<string, HostReachability>();
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    scheduled = undefined;
    if (sessionsDue) emit('sessions.changed', service.sessions.list());
    if (statusDue) emit('status.changed', gatewayStatus(service));
    for (const entry of reachabilityDue.values()) emit('doctor.reachability', entry);
    sessionsDue = false;
    statusDue = false;
    reachabilityDue.clear();
  };
  const schedule = (sessions: boolean, status: boolean): void => {
    sessionsDue ||= sessions;
    statusDue ||= status;
    scheduled ??= setImmediate(flush);
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
    scheduled = undefined;
  };
}
