import type { HomegateApi } from '../../../shared/ipc/contract.ts';

/** The state of the live link that carries events (always `open` over Electron IPC). */
export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * One client interface, two transports: the app's Electron IPC (`window.homegate`) and the web admin page's
 * HTTP + WebSocket. The UI only ever sees this.
 */
export interface HomegateTransport {
  readonly kind: 'app' | 'web';
  /** The contract: one function per call, and `on` for events. Calls reject with `ApiError`. */
  readonly api: HomegateApi;
  /** Follows the event link; the listener is called at once with the current state. */
  readonly onLink: (listener: (state: LinkState) => void) => () => void;
  /** Ends the admin session (web only; the app has no login). */
  readonly logout?: () => Promise<void>;
}
