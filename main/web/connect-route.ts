/**
 * `GET /connect?host=NAME[&mode=gateway|relay]`: a fresh .rdp file for an allowed host, for a browser logged in to
 * the web admin page — so a short-lived PAA token is one click (or one bookmarked URL) away instead of a re-export.
 *
 * The session cookie is scoped to `Path=/admin`, so `/connect` only redirects to `/admin/connect` (same query),
 * where the cookie is sent. Without a live session that answers 302 to the login page (`/admin/`). With one it runs
 * the `rdp.export` contract call (token recorded in the issued-token list, file signed like rdpsign) and answers the
 * file as a download. Downloads are rate-limited per session; the session cookie is SameSite=Strict, so another
 * site cannot make the browser fetch one.
 *
 * Until a public name is set the file names this machine as the LAN knows it, so a browser (one that asks for HTML)
 * first gets a short page saying the file works only inside the home network, with the download as a link
 * (`&home=1`); a script asking for the file gets it at once.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExportedFile } from '../../shared/model/ui.ts';
import { FailureLimiter } from '../api/failure-limiter.ts';
import { ApiError } from '../api/http.ts';
import { HostNameSchema } from '../../shared/model/hosts.ts';
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
    const query = new URL(request.url ?? '/', 'https://gateway.invalid').searchParams;
    const mode = query.get('mode') ?? 'gateway';
    const host = HostNameSchema.safeParse(query.get('host') ?? '');
    if (host.success && query.get('home') !== '1' && wantsHtml(request)) {
      const current = await deps.handlers['settings.get'](undefined, { via: 'web', client: session.client });
      if (current.publicNames.length === 0) return sendHomeOnlyPage(response, headers, host.data, mode);
    }
    const retryAfter = limiter.retryAfterSeconds(session.key);
    if (retryAfter > 0) {
      throw new ApiError(429, 'rate-limited', 'too many .rdp downloads; try again later', {
        'retry-after': String(retryAfter),
      });
    }
    limiter.recordFailure(session.key);
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

/** A browser navigating here says so in Accept; a script fetching the file usually does not. */
function wantsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (char) => HTML_ESCAPES[char] ?? char);

/** The page a browser sees while no public name is set: what the file is good for, and the download anyway. */
function sendHomeOnlyPage(response: ServerResponse, headers: OutgoingHttpHeaders, host: string, mode: string): void {
  const download = `${ADMIN_CONNECT_PATH}?host=${encodeURIComponent(host)}&mode=${encodeURIComponent(mode)}&home=1`;
  const body = Buffer.from(
    [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
      `<title>${escapeHtml(host)}.rdp works only at home · Homegate</title></head><body>`,
      `<h1>This file will work only inside your home network</h1>`,
      '<p>No public name is set for the gateway, so the file names this computer as your home network knows it.',
      'Devices outside your home cannot reach that name. Set the public name (your DNS or dynamic-DNS name) in',
      'Settings of the <a href="/admin/#settings">Homegate admin page</a>, then download the file again.</p>',
      `<p><a href="${escapeHtml(download)}">Download ${escapeHtml(host)}.rdp for use at home</a></p>`,
      '</body></html>',
    ].join('\n'),
    'utf8',
  );
  response.writeHead(200, {
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
    'content-length': body.length,
  });
  response.end(body);
}
