import type { HomegateBridge } from '../../shared/ipc/ipc-reply.ts';

declare global {
  interface Window {
    /** The contract, exposed by preload in the desktop app; absent in a browser (the web admin page). */
    readonly homegate?: HomegateBridge;
  }
}
