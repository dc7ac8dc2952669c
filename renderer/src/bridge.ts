import type { HomegateTransport } from './api/transport.ts';
import type { HomegateStore } from './store/store.ts';

/**
 * The one place where the transport's events reach the store: contract events and the link state go to store
 * actions. After the link comes back from an outage, what events would have said is fetched again.
 */
export function connectBridge(transport: HomegateTransport, store: HomegateStore): () => void {
  const state = store.getState;
  const reloadLive = (): void => {
    void state().loadStatus();
    void state().loadSessions();
    void state().loadReachability();
  };
  let missedEvents = false;
  const unsubscribe = [
    transport.api.on('sessions.changed', (sessions) => state().setSessions(sessions)),
    transport.api.on('status.changed', (status) => state().setStatus(status)),
    transport.api.on('doctor.reachability', (entry) => state().noteReachability(entry)),
    transport.onLink((link) => {
      state().setLink(link);
      if (link === 'reconnecting') missedEvents = true;
      if (link === 'open' && missedEvents) {
        missedEvents = false;
        reloadLive();
      }
    }),
  ];
  reloadLive();
  return () => {
    for (const off of unsubscribe) off();
  };
}
