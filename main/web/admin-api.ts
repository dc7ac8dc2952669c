/**
 * The web admin's API under /admin/api/ (shared/web/protocol.ts): the session's CSRF token, login, logout, and every
 * contract call through `dispatchCall`, like the desktop app's IPC. The event stream is a WebSocket (426 here).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ADMIN_API } from '../../shared/web/protocol.ts';
import { ApiError } from '../api/http.ts';
import { ContractCallError, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import { clearedCookie, type AdminGuard } from './admin-guard.ts';
import type { AdminLogin } from './admin-login.ts';
import { API_HEADERS, CONTRACT_ERROR_STATUS, readJson, requireMethod, sendJson } from './web-http.ts';

/** Large enough for a certificate import (the contract allows 1.4 MB of base64). */
export const MAX_CALL_BODY_BYTES = 2 * 1024 * 1024;

const CallBody = z.object({ input: z.unknown().optional() }).strict();

export interface AdminApiDeps {
  readonly handlers: CallHandlers;
  readonly guard: AdminGuard;
  readonly login: AdminLogin;
  readonly endSession: (key: string) => void;
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

export type AdminApi = (path: string, request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createAdminApi(deps: AdminApiDeps): AdminApi {
  const { guard } = deps;
  return async (path, request, response) => {
    if (path === ADMIN_API.session) {
      requireMethod(request, 'GET');
      // The CSRF token is a secret: only our own page (or the address bar) may read it.
      const fetchSite = request.headers['sec-fetch-site'];
      if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
        throw new ApiError(403, 'cross-origin', `Sec-Fetch-Site is ${String(fetchSite)}`);
      }
      const session = guard.requireSession(request);
      return sendJson(response, 200, { csrfToken: session.csrfToken });
    }
    if (path === ADMIN_API.login) return deps.login(request, response);
    if (path === ADMIN_API.logout) {
      const session = guard.requireStateChange(request);
      deps.endSession(session.key);
      deps.audit.record({ event: 'admin.logout', client: deps.clientAddress(request) });
      response.writeHead(204, { ...API_HEADERS, 'set-cookie': clearedCookie() }).end();
      return;
    }
    if (path.startsWith(ADMIN_API.call)) return call(deps, path.slice(ADMIN_API.call.length), request, response);
    if (path === ADMIN_API.events) {
      throw new ApiError(426, 'upgrade-required', 'the event stream is a WebSocket', { upgrade: 'websocket' });
    }
    throw new ApiError(404, 'not-found', 'no such API route');
  };
}

async function call(deps: AdminApiDeps, name: string, request: IncomingMessage, response: ServerResponse) {
  const session = deps.guard.requireStateChange(request);
  const body = await readJson(request, MAX_CALL_BODY_BYTES);
  const parsed = CallBody.safeParse(body);
  if (!parsed.success) throw new ApiError(400, 'invalid-input', 'the body must be { "input": ... }');
  try {
    const result = await dispatchCall(deps.handlers, name, parsed.data.input, deps.logger, {
      via: 'web',
      client: session.client,
    });
    sendJson(response, 200, { result: result ?? null });
  } catch (error) {
    if (error instanceof ContractCallError) {
      throw new ApiError(CONTRACT_ERROR_STATUS[error.code], error.code, error.message);
    }
    throw error;
  }
}
