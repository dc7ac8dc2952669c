/**
 * A small HTTP/1.1 request-head parser. Node's own parser rejects MS-TSGU's custom methods (`RDG_OUT_DATA`,
 * `RDG_IN_DATA`) before any handler runs, so the gateway reads request heads itself and hands ordinary requests
 * on to Node's HTTP server.
 */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
export const MAX_HEADER_COUNT = 64;

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: 'HTTP/1.0' | 'HTTP/1.1';
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
}

/** A request head that cannot be accepted; `status` is the HTTP status to answer with. */
export class RequestHeadError extends Error {
  override readonly name = 'RequestHeadError';
  constructor(
    readonly status: 400 | 431 | 505,
    message: string,
  ) {
    super(message);
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

/**
 * Finds the end of a request head in `buffer`. Returns the offset just past the blank line, or -1 when more bytes
 * are needed; throws 431 once the head is longer than the limit without ending.
 */
export function findHeadEnd(buffer: Buffer, maxBytes = MAX_REQUEST_HEAD_BYTES): number {
  const index = buffer.indexOf(HEAD_END);
  if (index !== -1 && index + HEAD_END.length <= maxBytes) return index + HEAD_END.length;
  if (index !== -1 || buffer.length >= maxBytes) {
    throw new RequestHeadError(431, `request head is longer than ${maxBytes} bytes`);
  }
  return -1;
}

/** Parses a complete request head (through the blank line). */
export function parseRequestHead(head: Buffer): RequestHead {
  const text = head.toString('latin1');
  const lines = text.slice(0, text.length - 4).split('\r\n');
  const requestLine = lines[0] ?? '';
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new RequestHeadError(400, 'malformed request line');
  const [method = '', target = '', version = ''] = parts;
  if (!TOKEN.test(method)) throw new RequestHeadError(400, 'malformed method');
  if (!REQUEST_TARGET.test(target)) throw new RequestHeadError(400, 'malformed request target');
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new RequestHeadError(505, `unsupported ${version}`);

  const headers = new Map<string, string>();
  const headerLines = lines.slice(1);
  if (headerLines.length > MAX_HEADER_COUNT) throw new RequestHeadError(431, 'too many header fields');
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // A header name with white space before the colon is a request-smuggling vector: refuse it (RFC 9112 5.1).
    if (!TOKEN.test(name)) throw new RequestHeadError(400, 'malformed header field');
    const raw = line.slice(colon + 1);
    // Checked before trimming: a bare LF at either end of a value is a line break to a lenient parser.
    if (/[\0\r\n]/.test(raw)) throw new RequestHeadError(400, 'malformed header value');
    const value = trimOws(raw);
    const key = name.toLowerCase();
    const existing = headers.get(key);
    headers.set(key, existing === undefined ? value : `${existing}, ${value}`);
  }
  return { method, target, version, headers };
}

/** True when a comma-separated header (`Connection: keep-alive, Upgrade`) contains `token`, case-insensitively. */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  return value.split(',').some((part) => trimOws(part).toLowerCase() === wanted);
}

/** Strips optional white space, which is SP and HTAB only (RFC 9110 5.6.3); String.trim() also eats VT, FF, NBSP. */
function trimOws(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}
