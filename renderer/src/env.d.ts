import type { HomegateApi } from '../../shared/ipc/contract.ts';

declare global {
  interface Window {
    /** The contract, exposed by preload in the desktop app; absent in a browser (the web admin page). */
    readonly homegate?: HomegateApi;
  }
}
