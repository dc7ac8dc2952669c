import {
  CALL_NAMES,
  type CallInput,
  type CallName,
  type CallOutput,
  type HomegateApi,
} from '../../../shared/ipc/contract.ts';
import { ADMIN_API } from '../../../shared/web/protocol.ts';
import { ApiError } from './errors.ts';
import { callResult, type AdminHttp } from './web-http.ts';

/** The contract over the web transport: every call as `POST /call/<name>`, and `on` from the events socket. */
export interface WebApiDeps {
  readonly http: AdminHttp;
  readonly signedIn: () => boolean;
  /** The gateway answered 401: the session has ended. */
  readonly signedOut: () => void;
  readonly on: HomegateApi['on'];
}

export function createWebApi({ http, signedIn, signedOut, on }: WebApiDeps): HomegateApi {
  async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    if (!signedIn()) throw new ApiError('unauthorized', 'sign in first', 401);
    const response = await http.post(ADMIN_API.call + name, { input });
    if (response.status === 401) {
      signedOut();
      throw new ApiError('unauthorized', 'your admin session has ended; sign in again', 401);
    }
    return callResult(name, response);
  }

  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [name, (input: CallInput<typeof name>) => call(name, input)]),
  );
  return { ...calls, on } as unknown as HomegateApi;
}
