import type { CallName, CallOutput } from '../../../shared/ipc/contract.ts';
import {
  CSRF_HEADER,
  type CallResponse,
  type ErrorResponse,
  type SessionResponse,
} from '../../../shared/web/protocol.ts';
import { ApiError, isContractCode, type ApiErrorCode } from './errors.ts';

/**
 * The web transport's requests and replies (shared/web/protocol.ts): JSON to the admin API with the CSRF token on
 * every POST, and each answer mapped to a value or an `ApiError`. What a 401 means for the session is the
 * transport's to decide (web.ts); these functions see only one exchange at a time.
 */

const STATUS_CODES: Readonly<Record<number, ApiErrorCode>> = {
  400: 'invalid-input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'invalid-input',
  429: 'rate-limited',
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/** Maps a failed response to `ApiError`, preferring the contract code in the body over the HTTP status. */
async function errorFromResponse(response: Response): Promise<ApiError> {
  const body = await readJson(response);
  const error = isRecord(body) && isRecord(body.error) ? (body as unknown as ErrorResponse).error : undefined;
  const code: ApiErrorCode = isContractCode(error?.code)
    ? error.code
    : (STATUS_CODES[response.status] ?? (response.status >= 500 ? 'internal' : 'invalid-input'));
  const message =
    typeof error?.message === 'string' && error.message !== '' ? error.message : `HTTP ${response.status}`;
  return new ApiError(code, message, response.status, retryAfterSeconds(response));
}

export interface AdminHttp {
  /** One request to the admin API; rejects with `unavailable` when the gateway does not answer. */
  readonly request: (path: string, init: RequestInit) => Promise<Response>;
  /** A JSON POST, with the CSRF token when the page holds one. */
  readonly post: (path: string, body: unknown) => Promise<Response>;
}

export function createAdminHttp(
  baseUrl: string,
  doFetch: typeof fetch,
  csrfToken: () => string | undefined,
): AdminHttp {
  const request = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await doFetch(new URL(path, baseUrl).toString(), {
        credentials: 'same-origin',
        ...init,
        headers: { accept: 'application/json', ...init.headers },
      });
    } catch {
      throw new ApiError('unavailable', 'the gateway did not answer');
    }
  };
  const post = (path: string, body: unknown): Promise<Response> => {
    const token = csrfToken();
    return request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { [CSRF_HEADER]: token } : {}) },
      body: JSON.stringify(body),
    });
  };
  return { request, post };
}

/** The CSRF token from a `/session` answer other than 401 (which means no session). */
export async function sessionToken(response: Response): Promise<string> {
  if (!response.ok) throw await errorFromResponse(response);
  const body = await readJson(response);
  const token = isRecord(body) ? (body as unknown as SessionResponse).csrfToken : undefined;
  if (typeof token !== 'string' || token === '') throw new ApiError('internal', 'the session answer has no token');
  return token;
}

/** Why a login was refused, in words for the login screen; undefined when the gateway accepted it. */
export async function loginRefusal(response: Response): Promise<ApiError | undefined> {
  if (response.status === 401) {
    // The gateway explains a missing password itself; a wrong one gets a plain sentence.
    const refused = await errorFromResponse(response);
    const message = /wrong password|^HTTP 401$/.test(refused.message) ? 'That password is not right.' : refused.message;
    return new ApiError('unauthorized', message, 401);
  }
  if (response.status === 429) {
    const wait = retryAfterSeconds(response);
    const message =
      wait === undefined
        ? 'Too many attempts. Wait a little, then try again.'
        : `Too many attempts. Try again in ${wait} s.`;
    return new ApiError('rate-limited', message, 429, wait);
  }
  if (!response.ok) return errorFromResponse(response);
  return undefined;
}

/** A call's result from its answer other than 401 (which means the session ended). */
export async function callResult<N extends CallName>(name: N, response: Response): Promise<CallOutput<N>> {
  if (!response.ok) throw await errorFromResponse(response);
  const body = await readJson(response);
  if (!isRecord(body) || !('result' in body || Object.keys(body).length === 0)) {
    throw new ApiError('internal', `the answer to ${name} was not understood`, response.status);
  }
  return (body as unknown as CallResponse).result as CallOutput<N>;
}
