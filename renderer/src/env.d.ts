import type { HomegateApi } from '../../shared/ipc/contract.ts';

declare global {
  interface Window {
    /** The contract, exposed by preload in the app (or by the web client in a browser). */
    readonly homegate: HomegateApi;
  }
}
