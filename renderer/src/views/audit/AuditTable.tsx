import type { AuditEntry } from '../../../../shared/model/ui.ts';
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
      <div className="table-wrap">
        <table className="table table-audit">
          <caption className="sr-only">Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">What happened</th>
              <th scope="col">
                <span className="sr-only">Raw line</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.audit.map((entry, index) => (
              <AuditRow key={`${entry.time}-${index}`} entry={entry} tokens={tokens} index={index} />
            ))}
          </tbody>
        </table>
      </div>
      <AuditFooter count={props.audit.length} />
    </>
  );
}
