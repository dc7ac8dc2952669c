/**
 * `RDG-Connection-Id` ([MS-TSGU] 2.2.3.2.1): the GUID in braces that pairs the two requests of one legacy tunnel.
 * It is a key in a table that strangers can write to, so only the exact shape is accepted and it is stored in one
 * case: `{3F2504E0-...}` and `{3f2504e0-...}` are the same channel pair.
 */
declare const connectionIdBrand: unique symbol;
export type RdgConnectionId = string & { readonly [connectionIdBrand]: true };

const BRACED_GUID = /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;

/** The header's value as a connection id (lower case), or undefined when it is missing or not a braced GUID. */
export function parseRdgConnectionId(value: string | undefined): RdgConnectionId | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return BRACED_GUID.test(trimmed) ? (trimmed.toLowerCase() as RdgConnectionId) : undefined;
}
