/** Live sessions over /jet, as Devolutions Gateway describes them: list them, or end one (or one association). */
import type { SessionInfo } from '../../shared/model/sessions.ts';
import type { Logger } from '../logging/logger.ts';
import { Scope } from '../security/tokens.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import { ApiError, sendJson } from './http.ts';
import { route, type BoundRoute } from './jet-router.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function sessionRoutes(sessions: SessionRegistry, logger: Logger): BoundRoute[] {
  return [
    route({ method: 'GET', path: '/jet/sessions', auth: Scope.SESSIONS_READ }, ({ response }) =>
      sendJson(response, 200, sessions.list().map(toSessionObject)),
    ),
    route(
      { method: 'POST', path: '/jet/session/{id}/terminate', auth: Scope.SESSION_TERMINATE },
      ({ response, params, client }) => {
        const id = params.id ?? '';
        if (!UUID.test(id)) throw new ApiError(400, 'bad-session-id', `"${id.slice(0, 64)}" is not a session id`);
        const wanted = id.toLowerCase();
        // An association id can cover several connections (an RDP client reconnecting): end them all.
        const matching = sessions
          .list()
          .filter((s) => s.id === wanted || s.association?.associationId.toLowerCase() === wanted);
        if (matching.length === 0) throw new ApiError(404, 'no-such-session', `no running session ${id}`);
        for (const session of matching) sessions.disconnect(session.id, 'admin-disconnect');
        logger.info('sessions terminated through the API', { client, id, count: matching.length });
        sendJson(response, 200, { terminated: matching.map((s) => s.id) });
      },
    ),
  ];
}

/** A session as Devolutions Gateway's `/jet/sessions` describes it, plus Homegate's own fields. */
export function toSessionObject(session: SessionInfo): Record<string, unknown> {
  const association = session.association;
  return {
    association_id: association?.associationId ?? session.id,
    application_protocol: association?.applicationProtocol ?? 'rdp',
    // Nothing here records or filters sessions; a token that demands recording is refused.
    recording_policy: false,
    filtering_policy: association?.filtering ?? false,
    start_timestamp: session.startedAt,
    connection_mode: 'fwd',
    destination_host: association?.destinationHost ?? `tcp://${session.host}:${portOf(session.target)}`,
    session_id: session.id,
    transport: session.transport,
    client_address: session.clientAddress,
    token_id: session.tokenId,
    host: session.host,
    target: session.target,
    bytes_to_target: session.bytesToTarget,
    bytes_to_client: session.bytesToClient,
  };
}

/** The port of an `address:port` target (IPv6 addresses contain colons too, the port is after the last). */
function portOf(target: string): string {
  return target.slice(target.lastIndexOf(':') + 1);
}
