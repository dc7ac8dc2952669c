import type { SessionInfo } from '../../../../shared/model/sessions.ts';
import type { IssuedToken } from '../../../../shared/model/ui.ts';
import { ACTIONS, DataTable, type Column } from '../../components/DataTable.tsx';
import { EmptyState, Loaded } from '../../components/States.tsx';
import { useNow } from '../../hooks/useNow.ts';
import { useHomegate } from '../../store/context.tsx';
import { tokenFacts } from './session-facts.ts';
import { SessionRow } from './SessionRow.tsx';

const SESSION_COLUMNS: readonly Column[] = [
  'Host',
  'Client',
  'Token',
  'Transport',
  { label: 'Duration', num: true },
  { label: 'Sent / received', num: true },
  ACTIONS,
];

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
      <DataTable caption="Live sessions" columns={SESSION_COLUMNS}>
        {sessions.map((session) => (
          <SessionRow
            key={session.id}
            session={session}
            facts={tokenFacts(session, props.tokens)}
            now={now}
            onDisconnect={props.onDisconnect}
          />
        ))}
      </DataTable>
    </Loaded>
  );
}
