import { CALL_NAMES, type CallName, type HomegateApi } from '../../../shared/ipc/contract.ts';
import type { HomegateBridge } from '../../../shared/ipc/ipc-reply.ts';
import { ApiError, isContractCode } from './errors.ts';
import type { HomegateTransport } from './transport.ts';

/**
 * A call's result from main's reply envelope as preload hands it over untouched: `{ ok: true, result }`, or
 * `{ ok: false, error: { code, message } }`, which becomes an `ApiError` with that code. Anything else (a reply that
 * is not an envelope, an envelope with an unknown code) is reported as `internal`.
 */
export function fromIpcReply(reply: unknown): unknown {
  if (typeof reply === 'object' && reply !== null) {
    const { ok, result, error } = reply as { ok?: unknown; result?: unknown; error?: unknown };
    if (ok === true) return result;
    if (ok === false && typeof error === 'object' && error !== null) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      const text = typeof message === 'string' && message !== '' ? message : 'the call failed';
      throw new ApiError(isContractCode(code) ? code : 'internal', text);
    }
  }
  throw new ApiError('internal', 'the app answered in a form this page does not know');
}

/**
 * The app's transport: `window.homegate` from preload, its envelopes mapped to values or `ApiError`. A call that
 * rejects never reached main's handler (main always answers an envelope): the IPC itself failed.
 */
export function createIpcTransport(bridge: HomegateBridge): HomegateTransport {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name: CallName) => {
      const call = bridge[name] as (input: unknown) => Promise<unknown>;
      return [
        name,
        (input: unknown) =>
          call(input).then(fromIpcReply, () => {
            throw new ApiError('internal', 'the app did not answer the call');
          }),
      ];
    }),
  );
  const api = { ...calls, on: bridge.on } as HomegateApi;
  return {
    kind: 'app',
    api,
    onLink(listener) {
      listener('open');
      return () => undefined;
    },
  };
}
