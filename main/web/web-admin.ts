/**
 * The headless web admin page: the renderer bundle under /admin/ and the contract over HTTP and a WebSocket, as
 * shared/web/protocol.ts describes them, behind a password login.
 *
 * Threats and what stops them:
 * - password guessing: per-address failure limit (429), scrypt hashes, at most a few hash checks at once;
 * - cookie theft: HttpOnly, Secure, SameSite=Strict, Path=/admin; random 256-bit ids; idle and absolute expiry;
 * - cross-site requests: SameSite, then a CSRF token (from /session, sent back in a header) on every POST but
 *   login, then Origin must name this very host (Sec-Fetch-Site, when sent, must say same-origin);
 * - cross-site WebSocket hijacking: the upgrade checks Origin and the session before accepting;
 * - injected script: a CSP allowing our own files only, nosniff, no framing; files come from an allowlist;
 * - resource exhaustion: bounded bodies (size and time), a bounded session table, bounded event sockets that are
 *   dropped when they stop reading.
 *
 * The rooms: `admin-guard.ts` (cookie, session, CSRF), `same-origin.ts` (Origin), `admin-login.ts`, `admin-api.ts`,
 * `event-sockets.ts`, `password-follower.ts`, `web-http.ts` (headers and answers); this file routes between them and
 * serves the page's files.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_API, ADMIN_BASE_PATH } from '../../shared/web/protocol.ts';
import { ApiError } from '../api/http.ts';
import { createCallHandlers, type CallHandlers } from '../ipc/dispatch.ts';
import { watchContractEvents, type EmitEvent } from '../ipc/events.ts';
import type { Logger } from '../logging/logger.ts';
import type { GatewayService } from '../service.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import { createAdminApi } from './admin-api.ts';
import { createAdminGuard } from './admin-guard.ts';
import { createAdminLogin } from './admin-login.ts';
import { AdminSessionTable } from './admin-sessions.ts';
import { ADMIN_CONNECT_PATH, CONNECT_PATH, connectRedirectTarget, createConnectRoute } from './connect-route.ts';
import { EventSockets } from './event-sockets.ts';
import { AdminPasswordFollower } from './password-follower.ts';
import { crossOriginRefusal } from './same-origin.ts';
import { RENDERER_CSP_HEADER, loadStaticFiles, lookupStaticFile, type StaticFiles } from './static-files.ts';
import { SECURITY_HEADERS, pathOf, redirect, sendError } from './web-http.ts';

/** The page's policy (the renderer's, as a header): our own files only, no inline script, no framing. */
export const WEB_ADMIN_CSP = RENDERER_CSP_HEADER;

export interface WebAdminDeps {
  readonly handlers: CallHandlers;
  /** Subscribes to the contract's events; answers a disposer. Called only while an events socket is open. */
  readonly watchEvents: (emit: EmitEvent) => () => void;
  /** Where the password hash lives (followed, so `homegate admin set-password` ends every session). */
  readonly passwordFile: string;
  /** The renderer's files; undefined when the page is not built (the API still works). */
  readonly staticFiles: StaticFiles | undefined;
  /** The client a request comes from (behind trusted proxies, the forwarded one). */
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly sessions?: AdminSessionTable;
  readonly eventSocketCheckMs?: number;
}

export interface WebAdmin {
  /** True for the paths the admin page owns: `/` (a redirect) and everything under `/admin`. */
  handles(request: IncomingMessage): boolean;
  /** Answers one request; never throws. */
  handleRequest(request: IncomingMessage, response: ServerResponse): void;
  /** Takes a standard upgrade request; accepts only an authenticated, same-origin /admin/api/events. */
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void;
  /** Closes every event socket and stops following the password file. */
  close(): void;
}

export function createWebAdmin(deps: WebAdminDeps): WebAdmin {
  const { logger } = deps;
  const sessions = deps.sessions ?? new AdminSessionTable();
  const events = new EventSockets(sessions, logger, deps.watchEvents, deps.eventSocketCheckMs);
  const guard = createAdminGuard({ sessions, clientAddress: deps.clientAddress, logger });
  const endSession = (key: string): void => {
    sessions.delete(key);
    events.closeSession(key, 'logged out');
  };
  const password = new AdminPasswordFollower(deps.passwordFile, logger, (why) => {
    if (sessions.size > 0 || events.size > 0) logger.info('web admin sessions ended', { why });
    sessions.clear();
    events.closeSession(undefined, why);
  });
  const login = createAdminLogin({
    ...deps,
    sessions,
    guard,
    endSession,
    rememberPasswordHash: (hash) => password.remember(hash),
  });
  const api = createAdminApi({ ...deps, guard, login, endSession });
  const connect = createConnectRoute({ handlers: deps.handlers, logger });
  let closed = false;

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathOf(request);
    if (path === '/') return redirect(response, 302, ADMIN_BASE_PATH);
    if (path === '/admin') return redirect(response, 301, ADMIN_BASE_PATH);
    if (path === CONNECT_PATH) return redirect(response, 302, connectRedirectTarget(request));
    if (path === ADMIN_CONNECT_PATH) return connect(request, response, guard.sessionOf(request), SECURITY_HEADERS);
    if (path.startsWith('/admin/api/')) return api(path, request, response);
    serveFile(deps.staticFiles, path, request, response);
  }

  return {
    handles(request) {
      const path = pathOf(request);
      return path === '/' || path === '/admin' || path === CONNECT_PATH || path.startsWith(ADMIN_BASE_PATH);
    },

    handleRequest(request, response) {
      route(request, response).catch((error: unknown) => {
        if (error instanceof ApiError) {
          // The client may still be sending a body we refused: close rather than read on.
          const closing = error.status === 413 || error.status === 408;
          return sendError(response, error.status, error.code, error.message, {
            ...error.headers,
            ...(closing ? { connection: 'close' } : {}),
          });
        }
        logger.error('web admin request failed', { method: request.method, path: pathOf(request), error });
        sendError(response, 500, 'internal', 'the request failed; see the gateway log');
      });
    },

    handleUpgrade(request, socket, head) {
      socket.on('error', () => undefined);
      if (closed || pathOf(request) !== ADMIN_API.events) return refuseUpgrade(socket, 404, 'Not Found');
      if (request.method !== 'GET') return refuseUpgrade(socket, 405, 'Method Not Allowed');
      const refusal = crossOriginRefusal(request);
      if (refusal !== undefined) {
        logger.warn('web admin event socket refused: not same-origin', {
          client: deps.clientAddress(request),
          refusal,
        });
        return refuseUpgrade(socket, 403, 'Forbidden');
      }
      const session = guard.sessionOf(request);
      if (!session) return refuseUpgrade(socket, 401, 'Unauthorized');
      if (events.full) return refuseUpgrade(socket, 503, 'Service Unavailable');
      events.accept(request, socket, head, session);
    },

    close() {
      if (closed) return;
      closed = true;
      password.close();
      events.close();
    },
  };
}

/** The page's files, from the allowlist by exact path, with the CSP header and an ETag. */
function serveFile(
  files: StaticFiles | undefined,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new ApiError(405, 'method-not-allowed', 'the page answers GET', { allow: 'GET, HEAD' });
  }
  const file = files && lookupStaticFile(files, path.slice(ADMIN_BASE_PATH.length));
  if (!file) {
    if (!files) throw new ApiError(503, 'not-built', 'the admin page is not built (npm run build)');
    throw new ApiError(404, 'not-found', 'no such file');
  }
  const headers: OutgoingHttpHeaders = {
    ...SECURITY_HEADERS,
    'content-security-policy': WEB_ADMIN_CSP,
    'content-type': file.contentType,
    'cache-control': 'no-cache',
    etag: file.etag,
  };
  if (request.headers['if-none-match'] === file.etag) {
    response.writeHead(304, headers).end();
    return;
  }
  response.writeHead(200, { ...headers, 'content-length': file.body.length });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

function refuseUpgrade(socket: Socket, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/** Drops the page's own CSP meta tag: over HTTP the header carries the policy (with connect-src for the API). */
export function stripMetaCsp(html: string): string {
  return html.replace(/<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>\s*/gi, '');
}

/** Where the built renderer is: beside the bundle (out/cli → out/renderer), or out/renderer from the sources. */
export function defaultRendererDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '../renderer'), join(here, '../../out/renderer')];
}

export interface OpenWebAdminOptions {
  readonly logger: Logger;
  readonly passwordFile: string;
  readonly clientAddress: (request: IncomingMessage) => string;
  /** The built renderer (out/renderer); found beside the code when absent. */
  readonly rendererDir?: string;
}

/** The web admin for a running gateway: its contract handlers, its events, the renderer bundle. */
export async function openWebAdmin(service: GatewayService, options: OpenWebAdminOptions): Promise<WebAdmin> {
  const { logger } = options;
  let staticFiles: StaticFiles | undefined;
  for (const dir of options.rendererDir ? [options.rendererDir] : defaultRendererDirs()) {
    staticFiles = await loadStaticFiles(dir, { transformHtml: stripMetaCsp });
    if (staticFiles) break;
  }
  if (!staticFiles) logger.warn('the web admin page is not built; /admin/ answers 503 (run npm run build)');
  return createWebAdmin({
    handlers: createCallHandlers(service, logger),
    watchEvents: (emit) => watchContractEvents(service, emit),
    passwordFile: options.passwordFile,
    staticFiles,
    clientAddress: options.clientAddress,
    audit: service.audit,
    logger,
  });
}
