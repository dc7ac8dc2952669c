import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Settings } from '../config/schema.ts';
import type { LogRing } from '../logging/log-ring.ts';
import type { Logger } from '../logging/logger.ts';
import type { RevocationList } from '../security/revocation.ts';
import { Scope, type VerificationKeyLookup, type VerifyOptions } from '../security/tokens.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import { addressGroup } from '../net/ip-address.ts';
import { FailureLimiter } from './failure-limiter.ts';
import { ApiError, sendError, sendJson, sendText } from './http.ts';
import { createRouteAuthorizer } from './jet-auth.ts';
import { jrlRoutes } from './jet-jrl.ts';
import { matchRoute, route, type BoundRoute, type JetRoute } from './jet-router.ts';
import { sessionRoutes } from './jet-sessions.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';

export type { JetRoute, RouteAuth } from './jet-router.ts';

/** A listener as `/jet/diagnostics/configuration` reports it. */
export interface ListenerInfo {
  readonly internalUrl: string;
  readonly externalUrl: string;
}

export interface JetApiDeps {
  readonly settings: () => Settings;
  readonly sessions: SessionRegistry;
  readonly revocation: RevocationList;
  readonly keys: VerificationKeyLookup;
  readonly logs: LogRing;
  readonly listeners: () => readonly ListenerInfo[];
  readonly logger: Logger;
  readonly version: string;
  readonly hostname: string;
  readonly now?: () => Date;
  readonly limiter?: FailureLimiter;
  /** The client a request comes from (behind trusted proxies, the forwarded one); the TCP peer when absent. */
  readonly clientAddress?: (request: IncomingMessage) => string;
}

export interface JetApi {
  readonly routes: readonly JetRoute[];
  /** Answers one request; never throws (failures become JSON errors). */
  handle(request: IncomingMessage, response: ServerResponse): void;
}

/**
 * The `/jet` REST API, after Devolutions Gateway's: health and clock for anyone; sessions, diagnostics and the
 * revocation list behind SCOPE tokens (`Authorization: Bearer`, `*` grants all); a new revocation list behind its
 * own JRL token. Errors are JSON `{ error, message }` with a status a client can act on.
 */
export function createJetApi(deps: JetApiDeps): JetApi {
  const now = deps.now ?? (() => new Date());
  // Counted per client unit (an IPv4 address, an IPv6 /64), so rotating addresses inside a /64 gains nothing.
  const limiter = deps.limiter ?? new FailureLimiter({ keyOf: addressGroup });
  const clientOf = deps.clientAddress ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');
  const verifyOptions = (): VerifyOptions => ({
    keys: deps.keys,
    gatewayId: deps.settings().gatewayId,
    now: now(),
    isRevoked: (claims) => deps.revocation.isRevoked(claims),
  });
  const routes: readonly BoundRoute[] = [
    ...diagnosticRoutes(deps, now),
    ...sessionRoutes(deps.sessions, deps.logger),
    ...jrlRoutes(deps.revocation, limiter, verifyOptions),
  ];
  const authorize = createRouteAuthorizer(limiter, verifyOptions);
  const dispatch = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const { route, context } = matchRoute(routes, request, response, clientOf(request));
    await authorize(route, context);
    await route.handle(context);
  };
  return {
    routes: routes.map(({ method, path, auth }) => ({ method, path, auth })),
    handle(request, response) {
      dispatch(request, response).catch((error: unknown) => {
        if (error instanceof ApiError) {
          sendError(response, error);
          return;
        }
        deps.logger.error('API request failed', { method: request.method, url: request.url, error });
        sendError(response, new ApiError(500, 'internal-error', 'the request failed; see the gateway log'));
      });
    },
  };
}

/** Health, clock and the OpenAPI document for anyone; the configuration and recent log lines behind SCOPE tokens. */
function diagnosticRoutes(deps: JetApiDeps, now: () => Date): BoundRoute[] {
  return [
    route({ method: 'GET', path: '/jet/health', auth: 'none' }, ({ response }) =>
      sendJson(response, 200, { status: 'ok', gatewayId: deps.settings().gatewayId }),
    ),
    route({ method: 'GET', path: '/jet/diagnostics/clock', auth: 'none' }, ({ response }) => {
      const millis = now().getTime();
      sendJson(response, 200, { timestamp_secs: Math.floor(millis / 1000), timestamp_millis: millis });
    }),
    route({ method: 'GET', path: '/jet/openapi.json', auth: 'none' }, ({ response }) =>
      sendJson(response, 200, OPENAPI_DOCUMENT),
    ),
    route({ method: 'GET', path: '/jet/diagnostics/configuration', auth: Scope.DIAGNOSTICS_READ }, ({ response }) =>
      sendJson(response, 200, {
        id: deps.settings().gatewayId,
        hostname: deps.hostname,
        version: deps.version,
        listeners: deps.listeners().map((l) => ({ internal_url: l.internalUrl, external_url: l.externalUrl })),
      }),
    ),
    route({ method: 'GET', path: '/jet/diagnostics/logs', auth: Scope.DIAGNOSTICS_READ }, ({ response }) => {
      const lines = deps.logs.lines();
      sendText(response, 200, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    }),
  ];
}
