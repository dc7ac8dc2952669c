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
 */
import { watch, type FSWatcher } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { ContractError, EventName, EventPayload } from '../../shared/ipc/contract.ts';
import {
  ADMIN_API,
  ADMIN_BASE_PATH,
  CSRF_HEADER,
  SESSION_COOKIE,
  type ErrorResponse,
  type EventMessage,
} from '../../shared/web/protocol.ts';
import { FailureLimiter } from '../api/failure-limiter.ts';
import { ApiError, mediaType, readBody } from '../api/http.ts';
import { ContractCallError, createCallHandlers, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import { watchContractEvents, type EmitEvent } from '../ipc/events.ts';
import type { Logger } from '../logging/logger.ts';
import type { GatewayService } from '../service.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import {
  AdminPasswordFileError,
  MAX_ADMIN_PASSWORD_CHARS,
  readAdminPassword,
  verifyAdminPassword,
  type AdminPasswordRecord,
} from './admin-password.ts';
import { AdminSessionTable, csrfTokenMatches, type AdminSession } from './admin-sessions.ts';
import { ADMIN_CONNECT_PATH, CONNECT_PATH, connectRedirectTarget, createConnectRoute } from './connect-route.ts';
import { loadStaticFiles, lookupStaticFile, type StaticFiles } from './static-files.ts';

/** Failed logins allowed per client address per window; then 429 until the window ends. */
export const ADMIN_LOGIN_MAX_FAILURES = 10;
export const ADMIN_LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Password checks (scrypt, 32 MiB each) running at once; more logins wait for a later try (503). */
export const MAX_CONCURRENT_PASSWORD_CHECKS = 2;
export const MAX_LOGIN_BODY_BYTES = 4 * 1024;
/** Large enough for a certificate import (the contract allows 1.4 MB of base64). */
export const MAX_CALL_BODY_BYTES = 2 * 1024 * 1024;
export const ADMIN_BODY_TIMEOUT_MS = 10_000;
export const MAX_EVENT_SOCKETS = 32;
/** An event socket with more than this unsent is not reading: it is dropped rather than buffered without end. */
export const MAX_EVENT_SOCKET_BUFFER_BYTES = 1024 * 1024;
/** How often event sockets are pinged and checked against their session. */
export const EVENT_SOCKET_CHECK_MS = 15_000;
const PASSWORD_RELOAD_DEBOUNCE_MS = 100;

/** The page's policy: our own files only, no inline script, no framing; it talks to its own origin alone. */
export const WEB_ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer under /admin/. */
const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const API_HEADERS: OutgoingHttpHeaders = {
  ...SECURITY_HEADERS,
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

const STATUS_OF: Record<ContractError['code'], number> = {
  'invalid-input': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  internal: 500,
};

const LoginBody = z
  .object({
    password: z
      .string()
      .min(1)
      .max(MAX_ADMIN_PASSWORD_CHARS * 4),
  })
  .strict();
const CallBody = z.object({ input: z.unknown().optional() }).strict();

export interface WebAdminDeps {
  readonly handlers: CallHandlers;
  /** Subscribes to the contract's events; answers a disposer. */
  readonly watchEvents: (emit: EmitEvent) => () => void;
  /** Where the password hash lives (followed, so `homegate admin set-password` ends every session). */
  readonly passwordFile: string;
  /** The renderer's files; undefined when the page is not built (the API still works). */
  readonly staticFiles: StaticFiles | undefined;
  /** The client a request comes from (behind trusted proxies, the forwarded one). */
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly limiter?: FailureLimiter;
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

interface EventSocket {
  readonly sessionKey: string;
  alive: boolean;
}

export function createWebAdmin(deps: WebAdminDeps): WebAdmin {
  const { logger, audit } = deps;
  const limiter =
    deps.limiter ?? new FailureLimiter({ maxFailures: ADMIN_LOGIN_MAX_FAILURES, windowMs: ADMIN_LOGIN_WINDOW_MS });
  const sessions = deps.sessions ?? new AdminSessionTable();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  const eventSockets = new Map<WebSocket, EventSocket>();
  let passwordChecks = 0;
  let knownPasswordHash: string | undefined;
  let closed = false;

  const stopEvents = deps.watchEvents((event, payload) => broadcast(event, payload));
  const checker = setInterval(() => checkEventSockets(), deps.eventSocketCheckMs ?? EVENT_SOCKET_CHECK_MS);
  checker.unref();
  const passwordWatcher = followPasswordFile();
  const connect = createConnectRoute({ handlers: deps.handlers, logger });

  // ----- HTTP -----

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathOf(request);
    if (path === '/') return redirect(response, 302, ADMIN_BASE_PATH);
    if (path === '/admin') return redirect(response, 301, ADMIN_BASE_PATH);
    if (path === CONNECT_PATH) return redirect(response, 302, connectRedirectTarget(request));
    if (path === ADMIN_CONNECT_PATH) return connect(request, response, sessionOf(request), SECURITY_HEADERS);
    if (path.startsWith('/admin/api/')) return api(path, request, response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new ApiError(405, 'method-not-allowed', 'the page answers GET', { allow: 'GET, HEAD' });
    }
    const file = deps.staticFiles && lookupStaticFile(deps.staticFiles, path.slice(ADMIN_BASE_PATH.length));
    if (!file) {
      if (!deps.staticFiles) throw new ApiError(503, 'not-built', 'the admin page is not built (npm run build)');
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

  async function api(path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (path === ADMIN_API.session) {
      requireMethod(request, 'GET');
      // The CSRF token is a secret: only our own page (or the address bar) may read it.
      const fetchSite = request.headers['sec-fetch-site'];
      if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
        throw new ApiError(403, 'cross-origin', `Sec-Fetch-Site is ${String(fetchSite)}`);
      }
      const session = requireSession(request);
      return sendJson(response, 200, { csrfToken: session.csrfToken });
    }
    if (path === ADMIN_API.login) return login(request, response);
    if (path === ADMIN_API.logout) {
      const session = requireStateChange(request);
      endSession(session.key);
      audit.record({ event: 'admin.logout', client: deps.clientAddress(request) });
      response.writeHead(204, { ...API_HEADERS, 'set-cookie': clearedCookie() }).end();
      return;
    }
    if (path.startsWith(ADMIN_API.call)) {
      const session = requireStateChange(request);
      const name = path.slice(ADMIN_API.call.length);
      const body = await readJson(request, MAX_CALL_BODY_BYTES);
      const parsed = CallBody.safeParse(body);
      if (!parsed.success) throw new ApiError(400, 'invalid-input', 'the body must be { "input": ... }');
      try {
        const result = await dispatchCall(deps.handlers, name, parsed.data.input, logger, {
          via: 'web',
          client: session.client,
        });
        return sendJson(response, 200, { result: result ?? null });
      } catch (error) {
        if (error instanceof ContractCallError) throw new ApiError(STATUS_OF[error.code], error.code, error.message);
        throw error;
      }
    }
    if (path === ADMIN_API.events) {
      throw new ApiError(426, 'upgrade-required', 'the event stream is a WebSocket', { upgrade: 'websocket' });
    }
    throw new ApiError(404, 'not-found', 'no such API route');
  }

  async function login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    requireMethod(request, 'POST');
    requireSameOrigin(request);
    const client = deps.clientAddress(request);
    const retryAfter = limiter.retryAfterSeconds(client);
    if (retryAfter > 0) {
      throw new ApiError(429, 'too-many-failures', `too many failed logins; retry in ${retryAfter} s`, {
        'retry-after': String(retryAfter),
      });
    }
    const body = LoginBody.safeParse(await readJson(request, MAX_LOGIN_BODY_BYTES));
    if (!body.success) throw new ApiError(400, 'invalid-input', 'the body must be { "password": "..." }');
    if (passwordChecks >= MAX_CONCURRENT_PASSWORD_CHECKS) {
      throw new ApiError(503, 'busy', 'too many logins at once; try again in a moment', { 'retry-after': '1' });
    }
    passwordChecks += 1;
    let record: AdminPasswordRecord | undefined;
    let matches = false;
    try {
      record = await readAdminPassword(deps.passwordFile);
      if (record) matches = await verifyAdminPassword(record, body.data.password);
    } catch (error) {
      if (!(error instanceof AdminPasswordFileError)) throw error;
      logger.error('web admin login impossible: the password file cannot be used', { error });
    } finally {
      passwordChecks -= 1;
    }
    if (!record || !matches) {
      limiter.recordFailure(client);
      audit.record({ event: 'admin.login-refused', client });
      logger.warn('web admin login refused', { client });
      throw new ApiError(
        401,
        'login-failed',
        record ? 'wrong password' : 'no admin password is set: run `homegate admin set-password` on the gateway',
      );
    }
    rememberPasswordHash(record.hash);
    // A new id at every login: a session id known before login (fixation) is worth nothing after it.
    const previous = sessionOf(request);
    if (previous) endSession(previous.key);
    const { id } = sessions.create(client);
    audit.record({ event: 'admin.login', client });
    logger.info('web admin login', { client });
    response.writeHead(204, { ...API_HEADERS, 'set-cookie': sessionCookie(id, sessions.cookieMaxAgeSeconds) }).end();
  }

  /** The checks before any state-changing API call: POST, same origin, a session, its CSRF token. */
  function requireStateChange(request: IncomingMessage): AdminSession {
    requireMethod(request, 'POST');
    requireSameOrigin(request);
    const session = requireSession(request);
    const sent = request.headers[CSRF_HEADER];
    if (!csrfTokenMatches(session, typeof sent === 'string' ? sent : undefined)) {
      throw new ApiError(403, 'csrf', `a valid ${CSRF_HEADER} header is required (from ${ADMIN_API.session})`);
    }
    return session;
  }

  function requireSession(request: IncomingMessage): AdminSession {
    const session = sessionOf(request);
    if (!session) throw new ApiError(401, 'not-logged-in', 'log in first');
    return session;
  }

  /** The live session named by the request's cookie, marked as used. */
  function sessionOf(request: IncomingMessage): AdminSession | undefined {
    for (const id of cookieValues(request, SESSION_COOKIE)) {
      const session = sessions.use(id);
      if (session) return session;
    }
    return undefined;
  }

  function requireSameOrigin(request: IncomingMessage): void {
    const refusal = crossOriginRefusal(request);
    if (refusal !== undefined) {
      logger.warn('web admin request refused: not same-origin', { client: deps.clientAddress(request), refusal });
      throw new ApiError(403, 'cross-origin', refusal);
    }
  }

  async function readJson(request: IncomingMessage, maxBytes: number): Promise<unknown> {
    if (mediaType(request) !== 'application/json') {
      throw new ApiError(415, 'unsupported-media-type', 'send the body as application/json');
    }
    const body = await readBody(request, maxBytes, ADMIN_BODY_TIMEOUT_MS);
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new ApiError(400, 'invalid-json', 'the body is not valid JSON');
    }
  }

  function endSession(key: string): void {
    sessions.delete(key);
    for (const [socket, info] of eventSockets) if (info.sessionKey === key) socket.close(1008, 'logged out');
  }

  // ----- password file -----

  function rememberPasswordHash(hash: string): void {
    if (knownPasswordHash !== undefined && knownPasswordHash !== hash) endAllSessions('the admin password changed');
    knownPasswordHash = hash;
  }

  function endAllSessions(why: string): void {
    if (sessions.size > 0 || eventSockets.size > 0) logger.info('web admin sessions ended', { why });
    sessions.clear();
    for (const socket of eventSockets.keys()) socket.close(1008, why);
  }

  /** A new password (set by the CLI while serving) ends every session: whoever changed it wants the old one out. */
  function followPasswordFile(): FSWatcher | undefined {
    void readAdminPassword(deps.passwordFile).then(
      (record) => {
        if (record && knownPasswordHash === undefined) knownPasswordHash = record.hash;
      },
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      const watcher = watch(dirname(deps.passwordFile), { persistent: false }, (_event, fileName) => {
        if (fileName !== basename(deps.passwordFile)) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          readAdminPassword(deps.passwordFile).then(
            (record) => {
              if (!record) endAllSessions('the admin password was removed');
              else rememberPasswordHash(record.hash);
            },
            () => endAllSessions('the admin password file cannot be used'),
          );
        }, PASSWORD_RELOAD_DEBOUNCE_MS);
      });
      watcher.on('error', (error) => logger.warn('cannot follow the admin password file', { error }));
      return watcher;
    } catch (error) {
      logger.warn('cannot follow the admin password file', { error });
      return undefined;
    }
  }

  // ----- events -----

  function broadcast<N extends EventName>(event: N, payload: EventPayload<N>): void {
    if (eventSockets.size === 0) return;
    const message: EventMessage = { event, payload };
    const text = JSON.stringify(message);
    for (const socket of eventSockets.keys()) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > MAX_EVENT_SOCKET_BUFFER_BYTES) {
        logger.warn('web admin event socket dropped: it stopped reading');
        socket.terminate();
        continue;
      }
      socket.send(text);
    }
  }

  function checkEventSockets(): void {
    for (const [socket, info] of eventSockets) {
      if (!sessions.isLive(info.sessionKey)) {
        socket.close(1008, 'session ended');
      } else if (!info.alive) {
        socket.terminate();
      } else {
        info.alive = false;
        socket.ping();
      }
    }
  }

  function refuseUpgrade(socket: Socket, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  }

  // ----- the WebAdmin -----

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
      const session = sessionOf(request);
      if (!session) return refuseUpgrade(socket, 401, 'Unauthorized');
      if (eventSockets.size >= MAX_EVENT_SOCKETS) return refuseUpgrade(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(request, socket, head, (ws) => {
        if (closed || !sessions.isLive(session.key)) {
          ws.close(1008, 'session ended');
          return;
        }
        const info: EventSocket = { sessionKey: session.key, alive: true };
        eventSockets.set(ws, info);
        ws.on('pong', () => (info.alive = true));
        // The stream is one way; anything the browser sends is ignored (and bounded by maxPayload).
        ws.on('message', () => undefined);
        ws.on('error', () => undefined);
        ws.on('close', () => eventSockets.delete(ws));
      });
    },

    close() {
      if (closed) return;
      closed = true;
      clearInterval(checker);
      stopEvents();
      passwordWatcher?.close();
      for (const socket of eventSockets.keys()) socket.close(1001, 'the gateway is stopping');
      wss.close();
    },
  };
}

/** The request's path, without the query. */
function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/';
}

function requireMethod(request: IncomingMessage, method: 'GET' | 'POST'): void {
  if (request.method !== method) {
    throw new ApiError(405, 'method-not-allowed', `this route answers ${method}`, { allow: method });
  }
}

/**
 * Why a request is not from a page of this very origin, or undefined when it is. Origin must be present and name the
 * host the request was sent to (https; http only on the plain listener behind a TLS-terminating proxy); a browser's
 * Sec-Fetch-Site, when sent, must agree. Behind a reverse proxy, the proxy must pass the Host header through.
 */
export function crossOriginRefusal(request: IncomingMessage): string | undefined {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return `Sec-Fetch-Site is ${String(fetchSite)}`;
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (origin === undefined || origin === 'null') return 'no Origin header';
  if (host === undefined) return 'no Host header';
  let originUrl: URL;
  let hostUrl: URL;
  try {
    originUrl = new URL(origin);
    hostUrl = new URL(`${originUrl.protocol}//${host}`);
  } catch {
    return 'the Origin or Host header is not valid';
  }
  const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true;
  const schemeOk = originUrl.protocol === 'https:' || (!encrypted && originUrl.protocol === 'http:');
  if (!schemeOk) return `Origin scheme ${originUrl.protocol} is not allowed here`;
  if (originUrl.origin !== `${originUrl.protocol}//${hostUrl.host}`) return 'Origin does not match Host';
  return undefined;
}

/** Values of the cookie `name` in the request, in order (a browser may send two with the same name). */
function cookieValues(request: IncomingMessage, name: string): string[] {
  const header = request.headers.cookie;
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values.slice(0, 8);
}

function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}

function redirect(response: ServerResponse, status: 301 | 302, location: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, location, 'content-length': 0 }).end();
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    ...API_HEADERS,
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  const body: ErrorResponse = { error: { code, message } };
  sendJson(response, status, body, headers);
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
