import type { AuditEntry } from '../../../../shared/model/ui.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { useHomegate } from '../../store/context.tsx';
import { AuditRow } from './AuditRow.tsx';
import { useTokenNames } from '../../hooks/useTokenNames.ts';

/** How many events are shown, and the button for older ones while the log goes further back. */
function AuditFooter(props: { count: number }) {
  const next = useHomegate((state) => state.auditNext);
  const more = useHomegate((state) => state.auditMore);
  const loadOlderAudit = useHomegate((state) => state.loadOlderAudit);
  return (
    <div className="table-footer">
      <span className="muted" role="status">
        {props.count === 1 ? '1 event' : `${props.count} events`}
        {next === undefined ? ', back to the start of the log' : ''}
      </span>
      {next !== undefined ? (
        <button type="button" className="btn" disabled={more.phase === 'loading'} onClick={() => void loadOlderAudit()}>
          {more.phase === 'loading' ? 'Loading…' : 'Show older events'}
        </button>
      ) : null}
      {more.phase === 'error' ? (
        <span className="form-error" role="alert">
          Could not load older events: {more.error}
        </span>
      ) : null}
    </div>
  );
}

export function AuditTable(props: { audit: readonly AuditEntry[] }) {
  const tokens = useTokenNames();
  return (
    <>
      <DataTable
        caption="Audit log, newest first"
        className="table-audit"
        columns={['Time', 'Event', 'What happened', { label: 'Raw line', hidden: true }]}
      >
        {props.audit.map((entry, index) => (
          <AuditRow key={`${entry.time}-${index}`} entry={entry} tokens={tokens} index={index} />
        ))}
      </DataTable>
      <AuditFooter count={props.audit.length} />
    </>
  );
}
