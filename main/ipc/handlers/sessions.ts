import { actor, type CallHandlers, type HandlerDeps } from '../dispatch.ts';

export function sessionHandlers({ service }: HandlerDeps): Pick<CallHandlers, 'sessions.list' | 'sessions.disconnect'> {
  return {
    'sessions.list': () => Promise.resolve(service.sessions.list()),
    'sessions.disconnect': ({ id }, context) => {
      const session = service.sessions.get(id);
      const asked = service.sessions.disconnect(id, 'admin-disconnect');
      if (asked && session) {
        service.audit.record({
          event: 'session.disconnected',
          session: id,
          host: session.host,
          tokenId: session.tokenId,
          ...actor(context),
        });
      }
      return Promise.resolve(asked);
    },
  };
}
