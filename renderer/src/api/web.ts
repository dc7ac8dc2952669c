import {
  CALL_NAMES,
  EVENT_NAMES,
  type CallInput,
  type CallName,
  type CallOutput,
  type EventName,
  type HomegateApi,
} from '../../../shared/ipc/contract.ts';
import {
  ADMIN_API,
  CSRF_HEADER,
  type CallResponse,
  type ErrorResponse,
  type EventMessage,
  type SessionResponse,
} from '../../../shared/web/protocol.ts';
import { ApiError, isContractCode, type ApiErrorCode } from './errors.ts';
import type { HomegateTransport, LinkState } from './transport.ts';

/**
 * The web admin page's transport (shared/web/protocol.ts): a cookie session checked with `/session`, a password
 * login, the CSRF token on every POST, calls as `POST /call/<name>`, and events on a WebSocket that reconnects with
 * backoff. The browser keeps the session cookie; this module never sees it.
 *
 * No DOM globals here: `fetch` and the WebSocket are passed in, so the unit tests drive this same code in Node.
 */

export interface SocketHandlers {
  readonly open: () => void;
  readonly message: (data: unknown) => void;
  readonly close: (code: number) => void;
}

/** Opens the events WebSocket; main.tsx adapts the browser's `WebSocket`, the tests adapt `ws`. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => { close(): void };

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000 };

export interface WebTransportOptions {
  /** The origin the admin page was loaded from, e.g. `https://gateway.example:8443`. */
  readonly baseUrl: string;
  readonly openSocket: SocketFactory;
  readonly fetch?: typeof fetch;
  readonly backoff?: BackoffOptions;
  /** For jitter; tests pass a constant. */
  readonly random?: () => number;
}

export interface WebTransport extends HomegateTransport {
  readonly kind: 'web';
  /** Whether the browser holds a live admin session (and, if so, fetches its CSRF token and opens events). */
  readonly checkSession: () => Promise<boolean>;
  /** Rejects with `ApiError` `unauthorized` (wrong password) or `rate-limited`. */
  readonly login: (password: string) => Promise<void>;
  readonly logout: () => Promise<void>;
  /** Follows sign-in state: true after a login or a found session, false after logout or an expired session. */
  readonly onAuth: (listener: (signedIn: boolean) => void) => () => void;
  /** Stops reconnecting and closes the events socket (page teardown, tests). */
  readonly close: () => void;
}

const STATUS_CODES: Readonly<Record<number, ApiErrorCode>> = {
  400: 'invalid-input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'invalid-input',
  429: 'rate-limited',
};

function isRecord(value: unknown): value is Record<string, unknown> {
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

const unavailable = (): ApiError => new ApiError('unavailable', 'the gateway did not answer');

export function eventsUrl(baseUrl: string): string {
  const url = new URL(ADMIN_API.events, baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export function createWebTransport(options: WebTransportOptions): WebTransport {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const url = (path: string): string => new URL(path, options.baseUrl).toString();

  let csrfToken: string | undefined;
  let socket: { close(): void } | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  let link: LinkState = 'closed';
  const linkListeners = new Set<(state: LinkState) => void>();
  const authListeners = new Set<(signedIn: boolean) => void>();
  const eventListeners = new Map<EventName, Set<(payload: never) => void>>();

  const setLink = (state: LinkState): void => {
    if (state === link) return;
    link = state;
    for (const listener of [...linkListeners]) listener(state);
  };

  const request = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await doFetch(url(path), {
        credentials: 'same-origin',
        ...init,
        headers: { accept: 'application/json', ...init.headers },
      });
    } catch {
      throw unavailable();
    }
  };

  const stopEvents = (): void => {
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    const current = socket;
    socket = undefined;
    current?.close();
    attempt = 0;
    setLink('closed');
  };

  /** The session is gone (logout, expiry, restart of the gateway): stop everything and tell the page. */
  const signedOut = (): void => {
    const wasSignedIn = csrfToken !== undefined;
    csrfToken = undefined;
    stopEvents();
    if (wasSignedIn) for (const listener of [...authListeners]) listener(false);
  };

  const dispatch = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(message)) return;
    const { event, payload } = message as unknown as EventMessage;
    if (!(EVENT_NAMES as readonly string[]).includes(event)) return;
    for (const listener of [...(eventListeners.get(event as EventName) ?? [])]) {
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch (error) {
        // One broken listener must not starve the others; surface it where the page reports errors.
        setTimeout(() => {
          throw error;
        });
      }
    }
  };

  const scheduleReconnect = (): void => {
    attempt += 1;
    setLink('reconnecting');
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.75 + 0.5 * random()));
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      // A socket that will not open may mean the session expired: ask before dialling again.
      checkSession().then(
        (signedIn) => {
          if (signedIn) connectEvents();
        },
        () => {
          if (!closed && csrfToken !== undefined) scheduleReconnect();
        },
      );
    }, delay);
  };

  const connectEvents = (): void => {
    if (closed || csrfToken === undefined || socket !== undefined || reconnectTimer !== undefined) return;
    if (link !== 'reconnecting') setLink('connecting');
    const current = options.openSocket(eventsUrl(options.baseUrl), {
      open: () => {
        if (socket !== current) return;
        attempt = 0;
        setLink('open');
      },
      message: (data) => {
        if (socket === current) dispatch(data);
      },
      close: () => {
        if (socket !== current) return;
        socket = undefined;
        if (!closed && csrfToken !== undefined) scheduleReconnect();
        else setLink('closed');
      },
    });
    socket = current;
  };

  async function checkSession(): Promise<boolean> {
    const response = await request(ADMIN_API.session, { method: 'GET' });
    if (response.status === 401) {
      signedOut();
      return false;
    }
    if (!response.ok) throw await errorFromResponse(response);
    const body = await readJson(response);
    const token = isRecord(body) ? (body as unknown as SessionResponse).csrfToken : undefined;
    if (typeof token !== 'string' || token === '') throw new ApiError('internal', 'the session answer has no token');
    const wasSignedIn = csrfToken !== undefined;
    csrfToken = token;
    if (!wasSignedIn) for (const listener of [...authListeners]) listener(true);
    connectEvents();
    return true;
  }

  const post = (path: string, body: unknown): Promise<Response> =>
    request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(csrfToken ? { [CSRF_HEADER]: csrfToken } : {}) },
      body: JSON.stringify(body),
    });

  async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    if (csrfToken === undefined) throw new ApiError('unauthorized', 'sign in first', 401);
    const response = await post(ADMIN_API.call + name, { input });
    if (response.status === 401) {
      signedOut();
      throw new ApiError('unauthorized', 'your admin session has ended; sign in again', 401);
    }
    if (!response.ok) throw await errorFromResponse(response);
    const body = await readJson(response);
    if (!isRecord(body) || !('result' in body || Object.keys(body).length === 0)) {
      throw new ApiError('internal', `the answer to ${name} was not understood`, response.status);
    }
    return (body as unknown as CallResponse).result as CallOutput<N>;
  }

  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [name, (input: CallInput<typeof name>) => call(name, input)]),
  );

  const api = {
    ...calls,
    on: (event: EventName, listener: (payload: never) => void) => {
      let listeners = eventListeners.get(event);
      if (!listeners) eventListeners.set(event, (listeners = new Set()));
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  } as unknown as HomegateApi;

  return {
    kind: 'web',
    api,
    checkSession,
    async login(password) {
      const response = await request(ADMIN_API.login, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
      if (response.status === 401) {
        // The gateway explains a missing password itself; a wrong one gets a plain sentence.
        const refused = await errorFromResponse(response);
        const message = /wrong password|^HTTP 401$/.test(refused.message)
          ? 'That password is not right.'
          : refused.message;
        throw new ApiError('unauthorized', message, 401);
      }
      if (response.status === 429) {
        const wait = retryAfterSeconds(response);
        const message =
          wait === undefined
            ? 'Too many attempts. Wait a little, then try again.'
            : `Too many attempts. Try again in ${wait} s.`;
        throw new ApiError('rate-limited', message, 429, wait);
      }
      if (!response.ok) throw await errorFromResponse(response);
      if (!(await checkSession())) throw new ApiError('unauthorized', 'the gateway did not keep the session', 401);
    },
    async logout() {
      try {
        if (csrfToken !== undefined) await post(ADMIN_API.logout, {});
      } finally {
        signedOut();
      }
    },
    onAuth(listener) {
      authListeners.add(listener);
      return () => {
        authListeners.delete(listener);
      };
    },
    onLink(listener) {
      linkListeners.add(listener);
      listener(link);
      return () => {
        linkListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      stopEvents();
    },
  };
}
