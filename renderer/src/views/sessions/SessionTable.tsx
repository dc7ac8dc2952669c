import type { SessionInfo } from '../../../../shared/model/sessions.ts';
import type { IssuedToken } from '../../../../shared/model/ui.ts';
import { EmptyState, Loaded } from '../../components/States.tsx';
import { useNow } from '../../hooks/useNow.ts';
import { useHomegate } from '../../store/context.tsx';
import { tokenFacts } from './session-facts.ts';
import { SessionRow } from './SessionRow.tsx';

/** The live sessions, or why there are none: still loading, a failure to load, or nobody connected. */
export function SessionTable(props: {
  tokens: ReadonlyMap<string, IssuedToken>;
  onDisconnect: (session: SessionInfo) => void;
}) {
  const sessions = useHomegate((state) => state.sessions);
  const load = useHomegate((state) => state.sessionsLoad);
  const loadSessions = useHomegate((state) => state.loadSessions);
  const now = useNow(1000);

  return (
    <Loaded
      load={load}
      none={sessions.length === 0}
      loadingLabel="Loading sessions…"
      errorTitle="Could not load the sessions"
      onRetry={() => void loadSessions()}
      empty={
        <EmptyState icon="sessions" title="No one is connected">
          A session appears here the moment a Remote Desktop client connects through the gateway, with its traffic
          counted live.
        </EmptyState>
      }
    >
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">Live sessions</caption>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Client</th>
              <th scope="col">Token</th>
              <th scope="col">Transport</th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col" className="num">
                Sent / received
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <SessionRow
                key={session.id}
                session={session}
                facts={tokenFacts(session, props.tokens)}
                now={now}
                onDisconnect={props.onDisconnect}
              />
            ))}
          </tbody>
        </table>
      </div>
    </Loaded>
  );
}
