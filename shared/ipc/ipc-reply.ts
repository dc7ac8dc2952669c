import type { CallInput, CallName, CallOutput, ContractError, HomegateApi } from './contract.ts';

/**
 * What main answers a contract call over Electron IPC: the result, or the contract's error shape (never a stack).
 * Preload hands it to the page untouched (a plain object crosses contextBridge intact; an Error would lose every
 * property but its message), and the renderer's IPC transport turns it into a value or an `ApiError`.
 */
export type IpcReply<T = unknown> =
  { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: ContractError };

/** `window.homegate` as preload exposes it: one function per call answering main's envelope, and `on` for events. */
export type HomegateBridge = {
  readonly [N in CallName]: (input: CallInput<N>) => Promise<IpcReply<CallOutput<N>>>;
} & {
  readonly on: HomegateApi['on'];
};
