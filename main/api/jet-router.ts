/** The /jet API's routes: a method, a path with `{name}` parameters, who may call it, and its handler. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '../security/tokens.ts';
import { ApiError } from './http.ts';

/** Who may call a route: anyone, a SCOPE token granting the scope, or a JRL token (the request is the list). */
export type RouteAuth = 'none' | 'jrl-token' | Scope;

export interface JetRoute {
  readonly method: 'GET' | 'POST';
  /** As in the OpenAPI document, with `{name}` for a path parameter. */
  readonly path: string;
  readonly auth: RouteAuth;
}

export interface RouteContext {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly client: string;
}

export interface BoundRoute extends JetRoute {
  readonly pattern: RegExp;
  readonly handle: (context: RouteContext) => Promise<void> | void;
}

export function route(spec: JetRoute, handle: BoundRoute['handle']): BoundRoute {
  return {
    ...spec,
    pattern: new RegExp(`^${spec.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
    handle,
  };
}

/** The route for a request and its context; 404 when no path matches, 405 (with Allow) when no method does. */
export function matchRoute(
  routes: readonly BoundRoute[],
  request: IncomingMessage,
  response: ServerResponse,
  client: string,
): { readonly route: BoundRoute; readonly context: RouteContext } {
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
    client,
  };
  return { route: found.candidate, context };
}
