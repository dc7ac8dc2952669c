/**
 * Who may do what on the web admin: the session named by the cookie, and the checks before a state change (POST,
 * same origin, a session, its CSRF token). The session cookie is HttpOnly, Secure, SameSite=Strict, Path=/admin.
 */
import type { IncomingMessage } from 'node:http';
import { ADMIN_API, CSRF_HEADER, SESSION_COOKIE } from '../../shared/web/protocol.ts';
import { ApiError } from '../api/http.ts';
import type { Logger } from '../logging/logger.ts';
import { csrfTokenMatches, type AdminSession, type AdminSessionTable } from './admin-sessions.ts';
import { crossOriginRefusal } from './same-origin.ts';
import { requireMethod } from './web-http.ts';

export interface AdminGuardDeps {
  readonly sessions: AdminSessionTable;
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly logger: Logger;
}

export interface AdminGuard {
  /** The live session named by the request's cookie, marked as used. */
  sessionOf(request: IncomingMessage): AdminSession | undefined;
  requireSession(request: IncomingMessage): AdminSession;
  requireSameOrigin(request: IncomingMessage): void;
  /** The checks before any state-changing API call: POST, same origin, a session, its CSRF token. */
  requireStateChange(request: IncomingMessage): AdminSession;
}

export function createAdminGuard(deps: AdminGuardDeps): AdminGuard {
  const guard: AdminGuard = {
    sessionOf(request) {
      for (const id of cookieValues(request, SESSION_COOKIE)) {
        const session = deps.sessions.use(id);
        if (session) return session;
      }
      return undefined;
    },
    requireSession(request) {
      const session = guard.sessionOf(request);
      if (!session) throw new ApiError(401, 'not-logged-in', 'log in first');
      return session;
    },
    requireSameOrigin(request) {
      const refusal = crossOriginRefusal(request);
      if (refusal !== undefined) {
        deps.logger.warn('web admin request refused: not same-origin', {
          client: deps.clientAddress(request),
          refusal,
        });
        throw new ApiError(403, 'cross-origin', refusal);
      }
    },
    requireStateChange(request) {
      requireMethod(request, 'POST');
      guard.requireSameOrigin(request);
      const session = guard.requireSession(request);
      const sent = request.headers[CSRF_HEADER];
      if (!csrfTokenMatches(session, typeof sent === 'string' ? sent : undefined)) {
        throw new ApiError(403, 'csrf', `a valid ${CSRF_HEADER} header is required (from ${ADMIN_API.session})`);
      }
      return session;
    },
  };
  return guard;
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

export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}
