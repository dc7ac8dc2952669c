import { useEffect, useMemo, useState } from 'react';
import type { SessionInfo, TransportKind } from '../../../shared/model/sessions.ts';
import type { IssuedToken } from '../../../shared/model/ui.ts';
import { errorMessage } from '../api/errors.ts';
import { Dialog } from '../components/Dialog.tsx';
import { FormError } from '../components/FormError.tsx';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { formatBytes, formatDuration, formatTime } from '../format.ts';
import { useNow } from '../hooks/useNow.ts';
import { useHomegate } from '../store/context.tsx';
import { SetupChecklist } from './setup/SetupChecklist.tsx';

const TRANSPORT_LABELS: Readonly<Record<TransportKind, string>> = {
  websocket: 'WebSocket',
  http: 'HTTP',
  relay: 'TCP relay',
};

const KIND_LABELS: Readonly<Record<IssuedToken['kind'], string>> = {
  paa: 'Short-lived',
  association: 'Relay',
  device: 'Device',
};

function clientLabel(session: SessionInfo): string {
  return session.clientName ?? session.clientAddress;
}

/** The token behind a session as the Access list names it: label or device, and kind. */
interface TokenFacts {
  readonly name: string | undefined;
  readonly kind: IssuedToken['kind'] | undefined;
  readonly revoked: boolean;
}

/** What the session itself says of its token (verified claims, when the gateway passes them), else the Access list. */
function tokenFacts(session: SessionInfo, tokens: ReadonlyMap<string, IssuedToken>): TokenFacts {
  const own = session as SessionInfo & {
    readonly tokenLabel?: string;
    readonly tokenDevice?: string;
    readonly tokenKind?: IssuedToken['kind'];
  };
  const listed = tokens.get(session.tokenId.toLowerCase());
  return {
    name: own.tokenDevice ?? own.tokenLabel ?? listed?.device ?? listed?.label,
    kind: own.tokenKind ?? listed?.kind,
    revoked: listed?.revokedAt !== undefined,
  };
}

function TokenCell(props: { facts: TokenFacts; tokenId: string }) {
  const { name, kind } = props.facts;
  return (
    <>
      <span className="cell-primary">{name ?? <span className="muted">No label</span>}</span>
      <span className="cell-secondary">
        {kind ? `${KIND_LABELS[kind]} token` : 'Token'} <span className="mono">{props.tokenId.slice(0, 8)}</span>
      </span>
    </>
  );
}

function SessionRow(props: {
  session: SessionInfo;
  facts: TokenFacts;
  now: number;
  onDisconnect: (session: SessionInfo) => void;
}) {
  const { session, now } = props;
  return (
    <tr data-session-id={session.id}>
      <td data-label="Host">
        <span>
          <span className="cell-primary">{session.host}</span>
          <span className="cell-secondary mono">{session.target}</span>
          {session.woken ? <span className="cell-secondary">Woken by Wake-on-LAN</span> : null}
        </span>
      </td>
      <td data-label="Client">
        <span>
          <span className="cell-primary">{clientLabel(session)}</span>
          {session.clientName ? <span className="cell-secondary mono">{session.clientAddress}</span> : null}
        </span>
      </td>
      <td data-label="Token">
        <span>
          <TokenCell facts={props.facts} tokenId={session.tokenId} />
        </span>
      </td>
      <td data-label="Transport">
        <span className="badge badge-neutral">{TRANSPORT_LABELS[session.transport]}</span>
      </td>
      <td className="num" data-label="Duration">
        <span>
          <span className="cell-primary" aria-label="Duration">
            {formatDuration(now - Date.parse(session.startedAt))}
          </span>
          <span className="cell-secondary">since {formatTime(session.startedAt)}</span>
        </span>
      </td>
      <td className="num" data-label="Sent / received">
        <span>
          <span className="traffic" title="Bytes from the client to the host">
            <Icon name="arrowUp" />
            {formatBytes(session.bytesToTarget)}
          </span>
          <span className="traffic" title="Bytes from the host to the client">
            <Icon name="arrowDown" />
            {formatBytes(session.bytesToClient)}
          </span>
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

/** Disconnect only, or disconnect and revoke the token in one step, so the client cannot simply reconnect. */
function DisconnectDialog(props: {
  session: SessionInfo;
  facts: TokenFacts;
  onClose: () => void;
  onDisconnect: (revoke: boolean) => Promise<void>;
}) {
  const { session, facts } = props;
  const [busy, setBusy] = useState<'disconnect' | 'revoke' | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (revoke: boolean): Promise<void> => {
    setBusy(revoke ? 'revoke' : 'disconnect');
    setError(undefined);
    try {
      await props.onDisconnect(revoke);
      props.onClose();
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(undefined);
    }
  };
  const tokenText = facts.name ? `the token “${facts.name}”` : 'its token';
  return (
    <Dialog
      title="Disconnect this session?"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={props.onClose} disabled={busy !== undefined}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger-ghost"
            onClick={() => void run(false)}
            disabled={busy !== undefined}
          >
            {busy === 'disconnect' ? 'Disconnecting…' : 'Disconnect'}
          </button>
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => void run(true)}
            disabled={busy !== undefined || facts.revoked}
          >
            {busy === 'revoke' ? 'Working…' : 'Disconnect and revoke'}
          </button>
        </>
      }
    >
      <div className="confirm-text">
        <p>
          <strong>{clientLabel(session)}</strong> will be disconnected from <strong>{session.host}</strong>. The client
          is told that an administrator ended the session.
        </p>
        <p className="muted">
          <strong>Disconnect</strong> leaves {tokenText} valid: the client can connect again.{' '}
          <strong>Disconnect and revoke</strong> also stops {tokenText} for good, wherever it is saved.
        </p>
      </div>
      <FormError error={error} />
    </Dialog>
  );
}

export function SessionsView() {
  const sessions = useHomegate((state) => state.sessions);
  const load = useHomegate((state) => state.sessionsLoad);
  const loadSessions = useHomegate((state) => state.loadSessions);
  const disconnectSession = useHomegate((state) => state.disconnectSession);
  const revokeToken = useHomegate((state) => state.revokeToken);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const tokenList = useHomegate((state) => state.tokens);
  const notify = useHomegate((state) => state.notify);
  const now = useNow(1000);
  const [confirming, setConfirming] = useState<SessionInfo | undefined>(undefined);
  const tokens = useMemo(() => new Map(tokenList.map((token) => [token.jti.toLowerCase(), token])), [tokenList]);
  const tokenIds = sessions.map((session) => session.tokenId).join(' ');
  const loadOnboarding = useHomegate((state) => state.loadOnboarding);
  const onboardingOver = useHomegate((state) => state.onboarding?.finished ?? true);
  // On first run the page shows the way to a first connection instead of only saying nobody is connected.
  const firstRun = !onboardingOver && sessions.length === 0;
  useEffect(() => {
    void loadOnboarding();
  }, [loadOnboarding]);

  // A session opened with a token this page has not seen (just issued, or from the command line): list again.
  useEffect(() => {
    void loadTokens();
  }, [loadTokens, tokenIds]);

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
                facts={tokenFacts(session, tokens)}
                now={now}
                onDisconnect={setConfirming}
              />
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
      {firstRun ? <SetupChecklist /> : null}
      <section className="card card-flush" aria-label="Live sessions">
        {content}
      </section>
      {confirming ? (
        <DisconnectDialog
          session={confirming}
          facts={tokenFacts(confirming, tokens)}
          onClose={() => setConfirming(undefined)}
          onDisconnect={async (revoke) => {
            if (revoke) await revokeToken(confirming.tokenId);
            // Revoking ends every session of the token already; the session may be gone by now.
            await disconnectSession(confirming.id);
            notify(
              'success',
              revoke
                ? `Disconnected ${clientLabel(confirming)} and revoked its token: it cannot connect again.`
                : `Disconnected ${clientLabel(confirming)} from ${confirming.host}.`,
            );
          }}
        />
      ) : null}
    </>
  );
}
