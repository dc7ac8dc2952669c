import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import type { Settings } from '../config/schema.ts';
import type { LogRing } from '../logging/log-ring.ts';
import type { Logger } from '../logging/logger.ts';
import { StaleJrlError, type RevocationList } from '../security/revocation.ts';
import { TokenError } from '../security/token-errors.ts';
import {
  Scope,
  verifyJrlToken,
  verifyScopeToken,
  type JrlClaims,
  type VerificationKeyLookup,
  type VerifyOptions,
} from '../security/tokens.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import { FailureLimiter } from './failure-limiter.ts';
import { ApiError, bearerToken, mediaType, readBody, sendError, sendJson, sendText } from './http.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';

/** Media types accepted for a JRL token sent as the request body (RFC 7519 registers application/jwt). */
export const JRL_BODY_MEDIA_TYPES: readonly string[] = ['application/jwt', 'text/plain'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
}

/** Who may call a route: anyone, a SCOPE token granting the scope, or a JRL token (the request is the list). */
export type RouteAuth = 'none' | 'jrl-token' | Scope;

export interface JetRoute {
  readonly method: 'GET' | 'POST';
  /** As in the OpenAPI document, with `{name}` for a path parameter. */
  readonly path: string;
  readonly auth: RouteAuth;
}

interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly client: string;
}

interface BoundRoute extends JetRoute {
  readonly pattern: RegExp;
  readonly handle: (context: RouteContext) => Promise<void> | void;
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
  const limiter = deps.limiter ?? new FailureLimiter();
  const verifyOptions = (): VerifyOptions => ({
    keys: deps.keys,
    gatewayId: deps.settings().gatewayId,
    now: now(),
    isRevoked: (claims) => deps.revocation.isRevoked(claims),
  });

  const route = (spec: JetRoute, handle: BoundRoute['handle']): BoundRoute => ({
    ...spec,
    pattern: new RegExp(`^${spec.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
    handle,
  });

  const routes: readonly BoundRoute[] = [
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
    route({ method: 'GET', path: '/jet/sessions', auth: Scope.SESSIONS_READ }, ({ response }) =>
      sendJson(response, 200, deps.sessions.list().map(toSessionObject)),
    ),
    route(
      { method: 'POST', path: '/jet/session/{id}/terminate', auth: Scope.SESSION_TERMINATE },
      ({ response, params, client }) => {
        const id = params.id ?? '';
        if (!UUID.test(id)) throw new ApiError(400, 'bad-session-id', `"${id.slice(0, 64)}" is not a session id`);
        const wanted = id.toLowerCase();
        // An association id can cover several connections (an RDP client reconnecting): end them all.
        const matching = deps.sessions
          .list()
          .filter((s) => s.id === wanted || s.association?.associationId.toLowerCase() === wanted);
        if (matching.length === 0) throw new ApiError(404, 'no-such-session', `no running session ${id}`);
        for (const session of matching) deps.sessions.disconnect(session.id, 'admin-disconnect');
        deps.logger.info('sessions terminated through the API', { client, id, count: matching.length });
        sendJson(response, 200, { terminated: matching.map((s) => s.id) });
      },
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
    route({ method: 'GET', path: '/jet/jrl', auth: Scope.JRL_READ }, ({ response }) => sendJrlInfo(response)),
    // Devolutions Gateway's current name for the same information.
    route({ method: 'GET', path: '/jet/jrl/info', auth: Scope.JRL_READ }, ({ response }) => sendJrlInfo(response)),
    route({ method: 'POST', path: '/jet/jrl', auth: 'jrl-token' }, async (context) => postJrl(context)),
  ];

  function sendJrlInfo(response: ServerResponse): void {
    const { jti, iat } = deps.revocation.current;
    sendJson(response, 200, { jti, iat });
  }

  async function postJrl({ request, response, client }: RouteContext): Promise<void> {
    const headerToken = bearerToken(request);
    const bodyToken = await jrlFromBody(request);
    if (headerToken !== undefined && bodyToken !== undefined) {
      throw new ApiError(400, 'two-tokens', 'send the JRL token either as the bearer token or as the body, not both');
    }
    const token = headerToken ?? bodyToken;
    if (token === undefined) throw unauthorized('missing-token', 'a JRL token is required (Authorization: Bearer)');
    let claims: JrlClaims;
    try {
      claims = await verifyJrlToken(token, verifyOptions());
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      limiter.recordFailure(client);
      throw unauthorized(error.failure, error.message);
    }
    try {
      // The list's change listener writes the one `jrl.updated` audit line (with the sessions it ended).
      await deps.revocation.replace(claims, { client });
    } catch (error) {
      if (error instanceof StaleJrlError) throw new ApiError(409, 'stale-jrl', error.message);
      throw error;
    }
    sendJson(response, 200, { jti: claims.jti, iat: claims.iat });
  }

  async function jrlFromBody(request: IncomingMessage): Promise<string | undefined> {
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (!hasBody) return undefined;
    const type = mediaType(request);
    if (type === undefined || !JRL_BODY_MEDIA_TYPES.includes(type)) {
      throw new ApiError(
        415,
        'unsupported-media-type',
        `send the JRL token as ${JRL_BODY_MEDIA_TYPES.join(' or ')} (or as the bearer token with no body)`,
      );
    }
    const text = (await readBody(request)).toString('utf8').trim();
    return text.length > 0 ? text : undefined;
  }

  async function authorize(route: BoundRoute, context: RouteContext): Promise<void> {
    if (route.auth === 'none') return;
    const retryAfter = limiter.retryAfterSeconds(context.client);
    if (retryAfter > 0) {
      throw new ApiError(429, 'too-many-failures', `too many failed authentications; retry in ${retryAfter} s`, {
        'retry-after': String(retryAfter),
      });
    }
    if (route.auth === 'jrl-token') return; // The handler verifies the JRL token itself.
    const token = bearerToken(context.request);
    if (token === undefined) {
      throw unauthorized('missing-token', `a SCOPE token granting "${route.auth}" is required (Authorization: Bearer)`);
    }
    try {
      await verifyScopeToken(token, route.auth, verifyOptions());
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      limiter.recordFailure(context.client);
      if (error.failure === 'wrong-scope') throw new ApiError(403, 'wrong-scope', error.message);
      throw unauthorized(error.failure, error.message);
    }
  }

  async function dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const candidates = routes
      .map((candidate) => ({ candidate, match: candidate.pattern.exec(path) }))
      .filter((entry) => entry.match !== null);
    if (candidates.length === 0) {
      throw new ApiError(404, 'not-found', `no route for ${request.method ?? ''} ${path.slice(0, 200)}`);
    }
    const found = candidates.find((entry) => entry.candidate.method === request.method);
    if (!found) {
      const allow = [...new Set(candidates.map((entry) => entry.candidate.method))].join(', ');
      throw new ApiError(405, 'method-not-allowed', `${path} answers ${allow}`, { allow });
    }
    const context: RouteContext = {
      request,
      response,
      params: { ...found.match?.groups },
      client: request.socket.remoteAddress ?? 'unknown',
    };
    await authorize(found.candidate, context);
    await found.candidate.handle(context);
  }

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

function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, {
    'www-authenticate': `Bearer realm="homegate", error="invalid_token"`,
  });
}

/** A session as Devolutions Gateway's `/jet/sessions` describes it, plus Homegate's own fields. */
export function toSessionObject(session: SessionInfo): Record<string, unknown> {
  const association = session.association;
  return {
    association_id: association?.associationId ?? session.id,
    application_protocol: association?.applicationProtocol ?? 'rdp',
    // Nothing here records or filters sessions; a token that demands recording is refused.
    recording_policy: false,
    filtering_policy: association?.filtering ?? false,
    start_timestamp: session.startedAt,
    connection_mode: 'fwd',
    destination_host: association?.destinationHost ?? `tcp://${session.host}:${portOf(session.target)}`,
    session_id: session.id,
    transport: session.transport,
    client_address: session.clientAddress,
    token_id: session.tokenId,
    host: session.host,
    target: session.target,
    bytes_to_target: session.bytesToTarget,
    bytes_to_client: session.bytesToClient,
  };
}

/** The port of an `address:port` target (IPv6 addresses contain colons too, the port is after the last). */
function portOf(target: string): string {
  return target.slice(target.lastIndexOf(':') + 1);
}
