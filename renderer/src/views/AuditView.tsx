import { useEffect, useId } from 'react';
import type { AuditEntry } from '../../../shared/model/ui.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { formatDate, formatDateTime, formatTime } from '../format.ts';
import { useHomegate } from '../store/context.tsx';
import { AUDIT_LIMIT, auditEventTypes, filterAudit } from '../store/slices/audit.ts';

/** New records arrive without a push event: refresh while the log is on screen. */
const AUDIT_REFRESH_MS = 10_000;

function tone(event: string): string {
  if (/refus|denied|fail|error|revok|invalid|reject/.test(event)) return 'badge-danger';
  if (/end|disconnect|expire|pause|remove/.test(event)) return 'badge-neutral';
  if (/connect|start|issue|add|login/.test(event)) return 'badge-success';
  return 'badge-accent';
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function Details(props: { entry: AuditEntry }) {
  const fields = Object.entries(props.entry).filter(([key]) => key !== 'time' && key !== 'event');
  if (fields.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="kv">
      {fields.map(([key, value]) => (
        <div key={key} className="kv-pair">
          <dt>{key}</dt>
          <dd className="mono">{fieldText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function Filter() {
  const audit = useHomegate((state) => state.audit);
  const filter = useHomegate((state) => state.auditFilter);
  const setFilter = useHomegate((state) => state.setAuditFilter);
  const id = useId();
  const types = auditEventTypes(audit);
  return (
    <div className="inline-field">
      <label htmlFor={id} className="field-label">
        Event type
      </label>
      <select id={id} className="input input-sm" value={filter} onChange={(event) => setFilter(event.target.value)}>
        <option value="">All events</option>
        {types.map((type) => (
          <option key={type} value={type}>
            {type}
          </option>
        ))}
        {filter !== '' && !types.includes(filter) ? <option value={filter}>{filter}</option> : null}
      </select>
    </div>
  );
}

export function AuditView() {
  const audit = useHomegate((state) => state.audit);
  const filter = useHomegate((state) => state.auditFilter);
  const load = useHomegate((state) => state.auditLoad);
  const loadAudit = useHomegate((state) => state.loadAudit);

  useEffect(() => {
    void loadAudit();
    const timer = setInterval(() => void loadAudit(), AUDIT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadAudit]);

  const shown = filterAudit(audit, filter);
  let content;
  if (load.phase === 'error' && audit.length === 0) {
    content = <ErrorState title="Could not read the audit log" error={load.error} onRetry={() => void loadAudit()} />;
  } else if (load.phase !== 'ready' && audit.length === 0) {
    content = <LoadingState label="Reading the audit log…" />;
  } else if (shown.length === 0) {
    content = (
      <EmptyState icon="audit" title={audit.length === 0 ? 'Nothing recorded yet' : 'No events of this type'}>
        {audit.length === 0
          ? 'Connections, refusals, disconnects and changes made here are recorded as they happen.'
          : 'Choose another type, or all events.'}
      </EmptyState>
    );
  } else {
    content = (
      <div className="table-wrap">
        <table className="table table-audit">
          <caption className="sr-only">Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry, index) => (
              <tr key={`${entry.time}-${index}`}>
                <td className="nowrap" title={formatDateTime(entry.time)}>
                  <span className="cell-primary">{formatTime(entry.time)}</span>
                  <span className="cell-secondary">{formatDate(entry.time)}</span>
                </td>
                <td>
                  <span className={`badge ${tone(entry.event)}`}>{entry.event}</span>
                </td>
                <td>
                  <Details entry={entry} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <>
      <PageHeader
        title="Audit log"
        description={`The newest ${AUDIT_LIMIT} events: who connected where, what was refused, and changes made here.`}
        actions={
          <>
            <Filter />
            <button type="button" className="btn" onClick={() => void loadAudit()}>
              <Icon name="refresh" /> Refresh
            </button>
          </>
        }
      />
      <section className="card card-flush" aria-label="Audit events">
        {content}
      </section>
    </>
  );
}
