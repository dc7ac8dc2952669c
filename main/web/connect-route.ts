/**
 * `GET /connect?host=NAME[&mode=gateway|relay]`: a fresh .rdp file for an allowed host, for a browser logged in to
 * the web admin page — so a short-lived PAA token is one click (or one bookmarked URL) away instead of a re-export.
 *
 * The session cookie is scoped to `Path=/admin`, so `/connect` only redirects to `/admin/connect` (same query),
 * where the cookie is sent. Without a live session that answers 302 to the login page (`/admin/`). With one it runs
 * the `rdp.export` contract call (token recorded in the issued-token list, file signed like rdpsign) and answers the
 * file as a download. Downloads are rate-limited per session; the session cookie is SameSite=Strict, so another
 * site cannot make the browser fetch one.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExportedFile } from '../../shared/model/ui.ts';
import { FailureLimiter } from '../api/failure-limiter.ts';
import { ApiError } from '../api/http.ts';
import { ContractCallError, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import type { Logger } from '../logging/logger.ts';
import type { AdminSession } from './admin-sessions.ts';
import { CONTRACT_ERROR_STATUS } from './web-http.ts';

export const CONNECT_PATH = '/connect';
export const ADMIN_CONNECT_PATH = '/admin/connect';
/** Files one admin session may download per window. */
export const CONNECT_MAX_PER_WINDOW = 10;
export const CONNECT_WINDOW_MS = 60_000;

export interface ConnectRouteDeps {
  readonly handlers: CallHandlers;
  readonly logger: Logger;
  readonly limiter?: FailureLimiter;
}

export type ConnectRoute = (
  request: IncomingMessage,
  response: ServerResponse,
  session: AdminSession | undefined,
  headers: OutgoingHttpHeaders,
) => Promise<void>;

/** `/connect` → `/admin/connect`, keeping the query (where the session cookie is sent). */
export function connectRedirectTarget(request: IncomingMessage): string {
  const url = request.url ?? CONNECT_PATH;
  const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  return ADMIN_CONNECT_PATH + query;
}

export function createConnectRoute(deps: ConnectRouteDeps): ConnectRoute {
  const limiter =
    deps.limiter ?? new FailureLimiter({ maxFailures: CONNECT_MAX_PER_WINDOW, windowMs: CONNECT_WINDOW_MS });
  return async (request, response, session, headers) => {
    if (request.method !== 'GET') {
      throw new ApiError(405, 'method-not-allowed', 'this route answers GET', { allow: 'GET' });
    }
    if (!session) {
      // Log in first; the page is at /admin/.
      response.writeHead(302, { ...headers, location: '/admin/', 'cache-control': 'no-store', 'content-length': 0 });
      response.end();
      return;
    }
    const retryAfter = limiter.retryAfterSeconds(session.key);
    if (retryAfter > 0) {
      throw new ApiError(429, 'rate-limited', 'too many .rdp downloads; try again later', {
        'retry-after': String(retryAfter),
      });
    }
    limiter.recordFailure(session.key);
    const query = new URL(request.url ?? '/', 'https://gateway.invalid').searchParams;
    const mode = query.get('mode') ?? 'gateway';
    let file: ExportedFile;
    try {
      file = (await dispatchCall(deps.handlers, 'rdp.export', { host: query.get('host') ?? '', mode }, deps.logger, {
        via: 'web',
        client: session.client,
      })) as ExportedFile;
    } catch (error) {
      if (error instanceof ContractCallError)
        throw new ApiError(CONTRACT_ERROR_STATUS[error.code], error.code, error.message);
      throw error;
    }
    const body = Buffer.from(file.contentBase64, 'base64');
    response.writeHead(200, {
      ...headers,
      'content-type': file.mimeType,
      // The host name is [A-Za-z0-9._-] (HostNameSchema), safe inside the quotes.
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
      'content-length': body.length,
    });
    response.end(body);
  };
}
