/**
 * `POST /admin/api/login`: the password against its scrypt hash, slowed progressively per address or IPv6 /64 (429
 * with Retry-After while a client must wait; `login-throttle.ts`) and at most a few hash checks at once (then 503). A login gets a new session id, ending any session the request named.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ApiError } from '../api/http.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import type { AdminGuard } from './admin-guard.ts';
import { sessionCookie } from './admin-guard.ts';
import {
  AdminPasswordFileError,
  MAX_ADMIN_PASSWORD_CHARS,
  readAdminPassword,
  verifyAdminPassword,
  type AdminPasswordRecord,
} from './admin-password.ts';
import type { AdminSessionTable } from './admin-sessions.ts';
import { LoginThrottle } from './login-throttle.ts';
import { API_HEADERS, readJson, requireMethod } from './web-http.ts';

/** Password checks (scrypt, 32 MiB each) running at once; more logins wait for a later try (503). */
export const MAX_CONCURRENT_PASSWORD_CHECKS = 2;
export const MAX_LOGIN_BODY_BYTES = 4 * 1024;

const LoginBody = z
  .object({
    password: z
      .string()
      .min(1)
      .max(MAX_ADMIN_PASSWORD_CHARS * 4),
  })
  .strict();

export interface AdminLoginDeps {
  readonly passwordFile: string;
  readonly sessions: AdminSessionTable;
  readonly guard: AdminGuard;
  readonly clientAddress: (request: IncomingMessage) => string;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly throttle?: LoginThrottle;
  /** Ends one session and its event sockets. */
  readonly endSession: (key: string) => void;
  /** The hash a login matched (a change of it ends every other session). */
  readonly rememberPasswordHash: (hash: string) => void;
}

export type AdminLogin = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createAdminLogin(deps: AdminLoginDeps): AdminLogin {
  const { audit, logger, sessions } = deps;
  const throttle = deps.throttle ?? new LoginThrottle();
  const checkPassword = boundedPasswordCheck(deps.passwordFile, logger);
  return async (request, response) => {
    requireMethod(request, 'POST');
    deps.guard.requireSameOrigin(request);
    const client = deps.clientAddress(request);
    const retryAfter = throttle.retryAfterSeconds(client);
    if (retryAfter > 0) {
      throw new ApiError(429, 'too-many-failures', `too many failed logins; retry in ${retryAfter} s`, {
        'retry-after': String(retryAfter),
      });
    }
    const body = LoginBody.safeParse(await readJson(request, MAX_LOGIN_BODY_BYTES));
    if (!body.success) throw new ApiError(400, 'invalid-input', 'the body must be { "password": "..." }');
    const { record, matches } = await checkPassword(body.data.password);
    if (!record || !matches) {
      throttle.recordFailure(client);
      audit.record({ event: 'admin.login-refused', client });
      logger.warn('web admin login refused', { client });
      throw new ApiError(
        401,
        'login-failed',
        record ? 'wrong password' : 'no admin password is set: run `homegate admin set-password` on the gateway',
      );
    }
    throttle.recordSuccess(client);
    deps.rememberPasswordHash(record.hash);
    // A new id at every login: a session id known before login (fixation) is worth nothing after it.
    const previous = deps.guard.sessionOf(request);
    if (previous) deps.endSession(previous.key);
    const { id } = sessions.create(client);
    audit.record({ event: 'admin.login', client });
    logger.info('web admin login', { client });
    response.writeHead(204, { ...API_HEADERS, 'set-cookie': sessionCookie(id, sessions.cookieMaxAgeSeconds) }).end();
  };
}

/** Checks a password against the file's hash, at most MAX_CONCURRENT_PASSWORD_CHECKS at once (503 beyond). */
function boundedPasswordCheck(
  passwordFile: string,
  logger: Logger,
): (password: string) => Promise<{ record: AdminPasswordRecord | undefined; matches: boolean }> {
  let running = 0;
  return async (password) => {
    if (running >= MAX_CONCURRENT_PASSWORD_CHECKS) {
      throw new ApiError(503, 'busy', 'too many logins at once; try again in a moment', { 'retry-after': '1' });
    }
    running += 1;
    let record: AdminPasswordRecord | undefined;
    let matches = false;
    try {
      record = await readAdminPassword(passwordFile);
      if (record) matches = await verifyAdminPassword(record, password);
    } catch (error) {
      if (!(error instanceof AdminPasswordFileError)) throw error;
      logger.error('web admin login impossible: the password file cannot be used', { error });
    } finally {
      running -= 1;
    }
    return { record, matches };
  };
}
