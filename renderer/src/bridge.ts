import type { HomegateApi } from '../../shared/ipc/contract.ts';
import { useHomegate } from './store/store.ts';

/** The one place the renderer talks to main: initial loads and event subscriptions feed the store's actions. */
export function connectBridge(api: HomegateApi): () => void {
  const { setStatus, setStatusError, setSessions } = useHomegate.getState();
  api['gateway.status'](undefined).then(setStatus, (error: unknown) => setStatusError(String(error)));
  api['sessions.list'](undefined).then(setSessions, (error: unknown) => setStatusError(String(error)));
  return api.on('sessions.changed', setSessions);
}
