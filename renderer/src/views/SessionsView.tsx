import { useState } from 'react';
import type { SessionInfo, TransportKind } from '../../../shared/model/sessions.ts';
import { ConfirmDialog } from '../components/Dialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { formatBytes, formatDuration, formatTime } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useHomegate } from '../store/context.tsx';

const TRANSPORT_LABELS: Readonly<Record<TransportKind, string>> = {
  websocket: 'WebSocket',
  http: 'HTTP',
  relay: 'TCP relay',
};

function clientLabel(session: SessionInfo): string {
  return session.clientName ?? session.clientAddress;
}

function SessionRow(props: { session: SessionInfo; now: number; onDisconnect: (session: SessionInfo) => void }) {
  const { session, now } = props;
  return (
    <tr data-session-id={session.id}>
      <td>
        <span className="cell-primary">{session.host}</span>
        <span className="cell-secondary mono">{session.target}</span>
      </td>
      <td>
        <span className="cell-primary">{clientLabel(session)}</span>
        {session.clientName ? <span className="cell-secondary mono">{session.clientAddress}</span> : null}
      </td>
      <td>
        <span className="badge badge-neutral">{TRANSPORT_LABELS[session.transport]}</span>
      </td>
      <td className="num">
        <span className="cell-primary" aria-label="Duration">
          {formatDuration(now - Date.parse(session.startedAt))}
        </span>
        <span className="cell-secondary">since {formatTime(session.startedAt)}</span>
      </td>
      <td className="num">
        <span className="traffic" title="Bytes from the client to the host">
          <Icon name="arrowUp" />
          {formatBytes(session.bytesToTarget)}
        </span>
        <span className="traffic" title="Bytes from the host to the client">
          <Icon name="arrowDown" />
          {formatBytes(session.bytesToClient)}
        </span>
      </td>
      <td className="actions">
        <button
          type="button"
          className="btn btn-sm btn-danger-ghost"
          onClick={() => props.onDisconnect(session)}
          aria-label={`Disconnect ${clientLabel(session)} from ${session.host}`}
        >
          Disconnect
        </button>
      </td>
    </tr>
  );
}

export function SessionsView() {
  const sessions = useHomegate((state) => state.sessions);
  const load = useHomegate((state) => state.sessionsLoad);
  const loadSessions = useHomegate((state) => state.loadSessions);
  const disconnectSession = useHomegate((state) => state.disconnectSession);
  const notify = useHomegate((state) => state.notify);
  const now = useNow(1000);
  const [confirming, setConfirming] = useState<SessionInfo | undefined>(undefined);

  let content;
  if (load.phase === 'error' && sessions.length === 0) {
    content = <ErrorState title="Could not load the sessions" error={load.error} onRetry={() => void loadSessions()} />;
  } else if (load.phase !== 'ready' && sessions.length === 0) {
    content = <LoadingState label="Loading sessions…" />;
  } else if (sessions.length === 0) {
    content = (
      <EmptyState icon="sessions" title="No one is connected">
        A session appears here the moment a Remote Desktop client connects through the gateway, with its traffic counted
        live.
      </EmptyState>
    );
  } else {
    content = (
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">Live sessions</caption>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Client</th>
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
              <SessionRow key={session.id} session={session} now={now} onDisconnect={setConfirming} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <>
      <PageHeader
        title="Sessions"
        description="Who is connected through the gateway right now, to which host, and how much is flowing."
      />
      <section className="card card-flush" aria-label="Live sessions">
        {content}
      </section>
      {confirming ? (
        <ConfirmDialog
          title="Disconnect this session?"
          confirmLabel="Disconnect"
          danger
          onClose={() => setConfirming(undefined)}
          onConfirm={async () => {
            await disconnectSession(confirming.id);
            notify('success', `Disconnected ${clientLabel(confirming)} from ${confirming.host}.`);
          }}
        >
          <p>
            <strong>{clientLabel(confirming)}</strong> will be disconnected from <strong>{confirming.host}</strong>. The
            client is told that an administrator ended the session.
          </p>
          <p className="muted">
            Its token stays valid: the client can connect again. Revoke the token under Access to keep it out.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
