/** The revocation list (JRL) over /jet: read its id, or replace it with a newer list signed as a JRL token. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StaleJrlError, type RevocationList } from '../security/revocation.ts';
import { TokenError } from '../security/token-errors.ts';
import { Scope, verifyJrlToken, type JrlClaims, type VerifyOptions } from '../security/tokens.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import { ApiError, bearerToken, mediaType, readBody, sendJson } from './http.ts';
import { unauthorized } from './jet-auth.ts';
import { route, type BoundRoute, type RouteContext } from './jet-router.ts';

/** Media types accepted for a JRL token sent as the request body (RFC 7519 registers application/jwt). */
export const JRL_BODY_MEDIA_TYPES: readonly string[] = ['application/jwt', 'text/plain'];

export function jrlRoutes(
  revocation: RevocationList,
  limiter: FailureLimiter,
  verifyOptions: () => VerifyOptions,
): BoundRoute[] {
  const sendJrlInfo = (response: ServerResponse): void => {
    const { jti, iat } = revocation.current;
    sendJson(response, 200, { jti, iat });
  };
  return [
    route({ method: 'GET', path: '/jet/jrl', auth: Scope.JRL_READ }, ({ response }) => sendJrlInfo(response)),
    // Devolutions Gateway's current name for the same information.
    route({ method: 'GET', path: '/jet/jrl/info', auth: Scope.JRL_READ }, ({ response }) => sendJrlInfo(response)),
    route({ method: 'POST', path: '/jet/jrl', auth: 'jrl-token' }, async (context) =>
      postJrl(context, revocation, limiter, verifyOptions),
    ),
  ];
}

async function postJrl(
  { request, response, client }: RouteContext,
  revocation: RevocationList,
  limiter: FailureLimiter,
  verifyOptions: () => VerifyOptions,
): Promise<void> {
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
    await revocation.replace(claims, { client });
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
