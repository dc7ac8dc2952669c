import type { HomegateTransport } from './api/transport.ts';
import type { HomegateStore } from './store/store.ts';

/**
 * The one place where the transport's events reach the store: contract events and the link state go to store
 * actions. Events sent before the link opened are never seen (the web admin's socket opens a moment after the
 * page's first requests, and again after an outage), so whenever the link opens what they would have said is
 * fetched again. A link that is open from the start (IPC) loads once.
 */
export function connectBridge(transport: HomegateTransport, store: HomegateStore): () => void {
  const state = store.getState;
  const reloadLive = (): void => {
    void state().loadStatus();
    void state().loadSessions();
    void state().loadReachability();
  };
  let loadedWhileOpen = false;
  const unsubscribe = [
    transport.api.on('sessions.changed', (sessions) => state().setSessions(sessions)),
    transport.api.on('status.changed', (status) => state().setStatus(status)),
    transport.api.on('doctor.reachability', (entry) => state().noteReachability(entry)),
    transport.onLink((link) => {
      state().setLink(link);
      if (link !== 'open') loadedWhileOpen = false;
      else if (!loadedWhileOpen) {
        loadedWhileOpen = true;
        reloadLive();
      }
    }),
  ];
  // Until the link opens, show what there is now; the open reloads it.
  if (!loadedWhileOpen) reloadLive();
  return () => {
    for (const off of unsubscribe) off();
  };
}
