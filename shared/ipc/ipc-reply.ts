import type { ContractError } from './contract.ts';

/**
 * What main answers a contract call over Electron IPC (preload unwraps it): the result, or the contract's error
 * shape (never a stack).
 */
export type IpcReply =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: ContractError };

/**
 * The call's result, or a rejection. contextBridge copies an Error's message but drops its other properties, so the
 * code travels twice: as `code`, and in front of the message as `[code] ` (the renderer reads either).
 */
export function unwrapReply(reply: IpcReply): unknown {
  if (reply.ok) return reply.result;
  const { code, message } = reply.error;
  throw Object.assign(new Error(`[${code}] ${message}`), { code });
}
