/** Who may call a /jet route: SCOPE bearer tokens, and the failure limiter in front of every token check. */
import { TokenError } from '../security/token-errors.ts';
import { verifyScopeToken, type VerifyOptions } from '../security/tokens.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import { ApiError, bearerToken } from './http.ts';
import type { BoundRoute, RouteContext } from './jet-router.ts';

export type RouteAuthorizer = (route: BoundRoute, context: RouteContext) => Promise<void>;

export function createRouteAuthorizer(limiter: FailureLimiter, verifyOptions: () => VerifyOptions): RouteAuthorizer {
  return async (route, context) => {
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
  };
}

export function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, {
    'www-authenticate': `Bearer realm="homegate", error="invalid_token"`,
  });
}
