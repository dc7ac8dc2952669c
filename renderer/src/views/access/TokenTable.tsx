import { useState } from 'react';
import type { IssuedToken } from '../../../../shared/model/ui.ts';
import { ACTIONS, DataTable } from '../../components/DataTable.tsx';
import { CheckField } from '../../components/Field.tsx';
import { EmptyState, Loaded } from '../../components/States.tsx';
import { formatDateTime, formatRelative } from '../../format.ts';
import { useNow } from '../../hooks/useNow.ts';
import { useHomegate } from '../../store/context.tsx';
import { tokenStatus, type TokenStatus } from '../../store/slices/tokens.ts';
import { TOKEN_KIND_LABELS } from '../../token-kinds.ts';

const STATUS_BADGES: Readonly<Record<TokenStatus, string>> = {
  active: 'badge-success',
  expired: 'badge-neutral',
  revoked: 'badge-danger',
};

function TokenRow(props: { token: IssuedToken; now: number; onRevoke: (token: IssuedToken) => void }) {
  const { token, now } = props;
  const status = tokenStatus(token, now);
  return (
    <tr data-jti={token.jti}>
      <td data-label="Status">
        <span className={`badge ${STATUS_BADGES[status]}`}>{status}</span>
      </td>
      <td data-label="Host">
        <span className="cell-primary">{token.host}</span>
      </td>
      <td data-label="Kind">
        {TOKEN_KIND_LABELS[token.kind]}
        {token.singleUse ? <span className="badge badge-neutral badge-inline">single use</span> : null}
      </td>
      <td data-label="Label">{token.device ?? token.label ?? <span className="muted">—</span>}</td>
      <td data-label="Issued" title={formatDateTime(token.issuedAt)}>
        {formatRelative(token.issuedAt, now)}
      </td>
      <td data-label="Expires" title={formatDateTime(token.expiresAt)}>
        {status === 'revoked' && token.revokedAt
          ? `revoked ${formatRelative(token.revokedAt, now)}`
          : formatRelative(token.expiresAt, now)}
      </td>
      <td className="actions">
        {status === 'active' ? (
          <button
            type="button"
            className="btn btn-sm btn-danger-ghost"
            onClick={() => props.onRevoke(token)}
            aria-label={`Revoke the ${TOKEN_KIND_LABELS[token.kind].toLowerCase()} token for ${token.host}${
              (token.device ?? token.label) ? ` (${token.device ?? token.label})` : ''
            }`}
          >
            Revoke
          </button>
        ) : null}
      </td>
    </tr>
  );
}

export function TokenTable(props: { onRevoke: (token: IssuedToken) => void }) {
  const tokens = useHomegate((state) => state.tokens);
  const load = useHomegate((state) => state.tokensLoad);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const [activeOnly, setActiveOnly] = useState(false);
  const now = useNow(5_000);

  const shown = activeOnly ? tokens.filter((token) => tokenStatus(token, now) === 'active') : tokens;
  return (
    <Loaded
      load={load}
      none={tokens.length === 0}
      loadingLabel="Loading tokens…"
      errorTitle="Could not load the tokens"
      onRetry={() => void loadTokens()}
      empty={
        <EmptyState icon="access" title="No tokens issued yet">
          Tokens you issue here, and the ones inside exported .rdp files, are listed with their status.
        </EmptyState>
      }
    >
      <div className="table-toolbar">
        <CheckField label="Active only" checked={activeOnly} onChange={setActiveOnly} />
        <span className="muted">
          {shown.length} of {tokens.length}
        </span>
      </div>
      <DataTable caption="Issued tokens" columns={['Status', 'Host', 'Kind', 'Label', 'Issued', 'Expires', ACTIONS]}>
        {shown.map((token) => (
          <TokenRow key={token.jti} token={token} now={now} onRevoke={props.onRevoke} />
        ))}
      </DataTable>
    </Loaded>
  );
}
