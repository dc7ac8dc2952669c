import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The largest request body read (a JRL token posted as the body); larger ones get 413 before being read. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A body must arrive within this time, or the request ends with 408. */
export const BODY_TIMEOUT_MS = 10_000;

/** An API failure: an HTTP status, a stable code for programs, and a message for people. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

const COMMON_HEADERS: OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(response, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  send(response, status, text, 'text/plain; charset=utf-8');
}

/** JSON errors: `{ "error": code, "message": text }`. */
export function sendError(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.status, { error: error.code, message: error.message }, error.headers);
}

function send(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendPayload(response, status, text, { ...COMMON_HEADERS, ...headers, 'content-type': contentType });
}

/** Answers `text` with `headers` and its length; a response whose headers went out already is dropped instead. */
export function sendPayload(
  response: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders,
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The media type of a request, lower case, without parameters. */
export function mediaType(request: IncomingMessage): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * Reads a request body of at most `maxBytes` within `timeoutMs`. A declared length over the limit is refused
 * before anything is read; a body that grows past it, or arrives too slowly, is cut off.
 */
export function readBody(
  request: IncomingMessage,
  maxBytes: number = MAX_BODY_BYTES,
  timeoutMs: number = BODY_TIMEOUT_MS,
): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    return Promise.reject(
      new ApiError(413, 'body-too-large', `the request body is ${declared} bytes; at most ${maxBytes} are accepted`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (error?: ApiError): void => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      if (error) {
        // Stop reading: whatever else the client sends is not wanted.
        request.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, length));
      }
    };
    const timer = setTimeout(
      () => finish(new ApiError(408, 'body-timeout', `the request body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) {
        finish(new ApiError(413, 'body-too-large', `the request body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (): void => finish(new ApiError(400, 'bad-request', 'the request body could not be read'));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
  });
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is no such header. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(header);
  if (!match?.[1]) {
    throw new ApiError(401, 'invalid-authorization', 'the Authorization header must be "Bearer <token>"', {
      'www-authenticate': 'Bearer error="invalid_request"',
    });
  }
  return match[1];
}
