import { CALL_NAMES, type CallName, type HomegateApi } from '../../../shared/ipc/contract.ts';
import { ApiError, isContractCode } from './errors.ts';
import type { HomegateTransport } from './transport.ts';

/**
 * How a refused call reaches the page: preload unwraps main's `{ ok, error }` reply and rejects with the contract's
 * `{ code, message }`. Crossing contextBridge may keep that as an object with a `code`, or flatten it to an Error
 * whose custom properties are gone; then main's `[code] ` prefix on the message, if present, still carries it.
 * Anything else (Electron's own `Error invoking remote method 'CHANNEL': NAME: MESSAGE`) is reported as `internal`.
 */
const ELECTRON_PREFIX = /^Error invoking remote method '[^']*': /;
const ERROR_NAME = /^[A-Za-z]*Error: /;
const CODE_PREFIX = /^\[([a-z-]+)\] /;

export function fromIpcError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const carried = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const raw =
    error instanceof Error
      ? error.message
      : typeof (error as { message?: unknown } | null)?.message === 'string'
        ? (error as { message: string }).message
        : String(error);
  let message = raw.replace(ELECTRON_PREFIX, '').replace(ERROR_NAME, '');
  let code: ApiError['code'] = isContractCode(carried) ? carried : 'internal';
  const tagged = CODE_PREFIX.exec(message);
  if (tagged && isContractCode(tagged[1])) {
    if (!isContractCode(carried)) code = tagged[1];
    message = message.slice(tagged[0].length);
  } else if (message === 'forbidden' && !isContractCode(carried)) {
    code = 'forbidden';
  }
  return new ApiError(code, message || 'the call failed');
}

/** The app's transport: `window.homegate` from preload, with its errors mapped to `ApiError`. */
export function createIpcTransport(bridge: HomegateApi): HomegateTransport {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name: CallName) => {
      const call = bridge[name] as (input: unknown) => Promise<unknown>;
      return [
        name,
        (input: unknown) =>
          call(input).catch((error: unknown) => {
            throw fromIpcError(error);
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
