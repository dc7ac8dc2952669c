/** The HTTP plumbing of the web admin's answers: security headers, JSON bodies and errors, redirects, methods. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ContractError } from '../../shared/ipc/contract.ts';
import type { ErrorResponse } from '../../shared/web/protocol.ts';
import { ApiError, mediaType, readBody, sendPayload } from '../api/http.ts';

/** How long a client may take to send a request body. */
export const ADMIN_BODY_TIMEOUT_MS = 10_000;

/** Headers on every answer under /admin/. */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
export const API_HEADERS: OutgoingHttpHeaders = {
  ...SECURITY_HEADERS,
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** The HTTP status of each contract error code. */
export const CONTRACT_ERROR_STATUS: Record<ContractError['code'], number> = {
  'invalid-input': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  internal: 500,
};

/** The request's path, without the query. */
export function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/';
}

export function requireMethod(request: IncomingMessage, method: 'GET' | 'POST'): void {
  if (request.method !== method) {
    throw new ApiError(405, 'method-not-allowed', `this route answers ${method}`, { allow: method });
  }
}

/** A JSON body (application/json only), at most `maxBytes`, within ADMIN_BODY_TIMEOUT_MS. */
export async function readJson(request: IncomingMessage, maxBytes: number): Promise<unknown> {
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

export function redirect(response: ServerResponse, status: 301 | 302, location: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, location, 'content-length': 0 }).end();
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders): void {
  sendPayload(response, status, JSON.stringify(body), {
    ...API_HEADERS,
    ...headers,
    'content-type': 'application/json; charset=utf-8',
  });
}

export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  const body: ErrorResponse = { error: { code, message } };
  sendJson(response, status, body, headers);
}
