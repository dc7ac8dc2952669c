/**
 * `RDG-Connection-Id` ([MS-TSGU] 2.2.3.2.1): the GUID in braces that pairs the two requests of one legacy tunnel.
 * It is a key in a table that strangers can write to, so only the exact shape is accepted and it is stored in one
 * case: `{3F2504E0-...}` and `{3f2504e0-...}` are the same channel pair.
 *
 * `RDG-Correlation-Id`: a GUID the client sends to tie its tunnels together in logs (FreeRDP 3 sends it, equal to its
 * connection id). It is only recorded, so it is accepted with or without braces; anything else is dropped, never
 * logged as sent.
 */
declare const connectionIdBrand: unique symbol;
export type RdgConnectionId = string & { readonly [connectionIdBrand]: true };

const GUID = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
const BRACED_GUID = new RegExp(`^\\{${GUID}\\}$`);
const OPTIONALLY_BRACED_GUID = new RegExp(`^(?:\\{${GUID}\\}|${GUID})$`);
/** Longer than any GUID form: the pattern is not even tried on more. */
const MAX_ID_CHARS = 64;

/** The header's value as a connection id (lower case), or undefined when it is missing or not a braced GUID. */
export function parseRdgConnectionId(value: string | undefined): RdgConnectionId | undefined {
  if (value === undefined || value.length > MAX_ID_CHARS) return undefined;
  const trimmed = value.trim();
  return BRACED_GUID.test(trimmed) ? (trimmed.toLowerCase() as RdgConnectionId) : undefined;
}

/** The header's value as `{guid}` in lower case, or undefined when it is missing or not GUID-shaped. */
export function parseRdgCorrelationId(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_ID_CHARS) return undefined;
  const trimmed = value.trim();
  if (!OPTIONALLY_BRACED_GUID.test(trimmed)) return undefined;
  const lower = trimmed.toLowerCase();
  return lower.startsWith('{') ? lower : `{${lower}}`;
}

/** What a tunnel learns from the HTTP request(s) that carry it, for its audit lines. */
export interface TunnelRequestInfo {
  readonly correlationId?: string;
}

/** The request's `RDG-Correlation-Id`, when it has a valid one. */
export function tunnelRequestInfo(headers: ReadonlyMap<string, string>): TunnelRequestInfo {
  const correlationId = parseRdgCorrelationId(headers.get('rdg-correlation-id'));
  return correlationId === undefined ? {} : { correlationId };
}
