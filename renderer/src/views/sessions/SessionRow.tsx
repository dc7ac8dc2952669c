import type { SessionInfo, TransportKind } from '../../../../shared/model/sessions.ts';
import { Icon } from '../../components/Icon.tsx';
import { formatBytes, formatDuration, formatTime } from '../../format.ts';
import { TOKEN_KIND_LABELS } from '../../token-kinds.ts';
import { clientLabel, type TokenFacts } from './session-facts.ts';

const TRANSPORT_LABELS: Readonly<Record<TransportKind, string>> = {
  websocket: 'WebSocket',
  http: 'HTTP',
  relay: 'TCP relay',
};

function TokenCell(props: { facts: TokenFacts; tokenId: string }) {
  const { name, kind } = props.facts;
  return (
    <>
      <span className="cell-primary">{name ?? <span className="muted">No label</span>}</span>
      <span className="cell-secondary">
        {kind ? `${TOKEN_KIND_LABELS[kind]} token` : 'Token'} <span className="mono">{props.tokenId.slice(0, 8)}</span>
      </span>
    </>
  );
}

export function SessionRow(props: {
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
