import { ADMIN_API } from '../../../shared/web/protocol.ts';
import { ApiError } from './errors.ts';
import type { HomegateTransport } from './transport.ts';
import { createWebApi } from './web-calls.ts';
import { DEFAULT_BACKOFF, createEventLink, type BackoffOptions, type SocketFactory } from './web-events.ts';
import { createAdminHttp, loginRefusal, sessionToken } from './web-http.ts';

export {
  DEFAULT_BACKOFF,
  eventsUrl,
  type BackoffOptions,
  type SocketFactory,
  type SocketHandlers,
} from './web-events.ts';

/**
 * The web admin page's transport (shared/web/protocol.ts): a cookie session checked with `/session`, a password
 * login, the CSRF token on every POST, calls as `POST /call/<name>`, and events on a WebSocket that reconnects with
 * backoff. The browser keeps the session cookie; this module never sees it. This module holds the session; the
 * requests and replies are in web-http.ts, the events socket in web-events.ts, the calls in web-calls.ts.
 *
 * No DOM globals here: `fetch` and the WebSocket are passed in, so the unit tests drive this same code in Node.
 */

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

export function createWebTransport(options: WebTransportOptions): WebTransport {
  let csrfToken: string | undefined;
  let closed = false;
  const authListeners = new Set<(signedIn: boolean) => void>();
  const http = createAdminHttp(
    options.baseUrl,
    options.fetch ?? ((input, init) => fetch(input, init)),
    () => csrfToken,
  );
  const events = createEventLink({
    baseUrl: options.baseUrl,
    openSocket: options.openSocket,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    random: options.random ?? Math.random,
    wanted: () => !closed && csrfToken !== undefined,
    recheck: () => checkSession(),
  });

  /** The session is gone (logout, expiry, restart of the gateway): stop everything and tell the page. */
  const signedOut = (): void => {
    const wasSignedIn = csrfToken !== undefined;
    csrfToken = undefined;
    events.stop();
    if (wasSignedIn) for (const listener of [...authListeners]) listener(false);
  };

  async function checkSession(): Promise<boolean> {
    const response = await http.request(ADMIN_API.session, { method: 'GET' });
    if (response.status === 401) {
      signedOut();
      return false;
    }
    const token = await sessionToken(response);
    const wasSignedIn = csrfToken !== undefined;
    csrfToken = token;
    if (!wasSignedIn) for (const listener of [...authListeners]) listener(true);
    events.connect();
    return true;
  }

  return {
    kind: 'web',
    api: createWebApi({ http, signedIn: () => csrfToken !== undefined, signedOut, on: events.on }),
    checkSession,
    async login(password) {
      const response = await http.request(ADMIN_API.login, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
      const refusal = await loginRefusal(response);
      if (refusal) throw refusal;
      if (!(await checkSession())) throw new ApiError('unauthorized', 'the gateway did not keep the session', 401);
    },
    async logout() {
      try {
        if (csrfToken !== undefined) await http.post(ADMIN_API.logout, {});
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
    onLink: events.onLink,
    close() {
      closed = true;
      events.stop();
    },
  };
}
