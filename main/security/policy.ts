import type { Host } from '../../shared/model/hosts.ts';

/** What a client asked to reach: the names it knows the target by, and the port. */
export interface TargetRequest {
  readonly names: readonly string[];
  readonly port: number;
}

export type TargetDecision =
  | { readonly allowed: true; readonly host: Host }
  | { readonly allowed: false; readonly reason: 'not-allowed-host' | 'not-in-token'; readonly message: string };

/**
 * The no-open-proxy rule: a target is reachable only when it is an allowed host AND the token names that host.
 * A request matches a host by its name or by its configured address, and the port must be the host's port —
 * so a token for `desktop` cannot be stretched to another port or another machine. The gateway then dials the
 * host's configured address, never the name the client sent.
 */
export function authorizeTarget(
  request: TargetRequest,
  tokenHosts: readonly string[],
  allowlist: readonly Host[],
): TargetDecision {
  const granted = new Set(tokenHosts.map((name) => name.toLowerCase()));
  let matchedButNotGranted: Host | undefined;
  for (const name of request.names) {
    const host = findAllowedHost(name, request.port, allowlist);
    if (!host) continue;
    if (granted.has(host.name.toLowerCase())) return { allowed: true, host };
    matchedButNotGranted ??= host;
  }
  if (matchedButNotGranted) {
    return {
      allowed: false,
      reason: 'not-in-token',
      message: `the token does not grant access to host "${matchedButNotGranted.name}"`,
    };
  }
  return {
    allowed: false,
    reason: 'not-allowed-host',
    message: `${request.names.join(', ') || '(no name)'} port ${request.port} is not an allowed host`,
  };
}

/**
 * The allowed host a client's `name` and `port` designate: matched by the host's name or its configured address
 * (case-insensitive), with the exact port. Undefined when none matches — the no-open-proxy rule.
 */
export function findAllowedHost(name: string, port: number, allowlist: readonly Host[]): Host | undefined {
  const wanted = name.toLowerCase();
  return allowlist.find(
    (candidate) =>
      candidate.port === port &&
      (candidate.name.toLowerCase() === wanted || candidate.address.toLowerCase() === wanted),
  );
}
