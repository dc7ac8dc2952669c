import { useEffect, useId, useMemo, useState } from 'react';
import type { AuditEntry, IssuedToken } from '../../../shared/model/ui.ts';
import {
  AUDIT_EVENT_LABELS,
  auditEventLabel,
  auditToCsv,
  auditToJson,
  describeAudit,
  rawLine,
} from '../audit-format.ts';
import { errorMessage } from '../api/errors.ts';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, ErrorState, LoadingState } from '../components/States.tsx';
import { saveExportedFile } from '../files.ts';
import { bytesToBase64, formatDate, formatDateTime, formatTimeSeconds } from '../format.ts';
import { useHomegate } from '../store/context.tsx';
import { NO_AUDIT_FILTERS, type AuditFilters } from '../store/slices/audit.ts';

/** New records arrive without a push event: refresh while the log is on screen (only its first page). */
const AUDIT_REFRESH_MS = 10_000;
/** Typing in the search box queries once the typing pauses. */
const SEARCH_DELAY_MS = 350;

function tone(event: string): string {
  if (/refus|denied|fail|error|revok|invalid|reject/.test(event)) return 'badge-danger';
  if (/end|disconnect|expire|pause|remove|logout/.test(event)) return 'badge-neutral';
  if (/connect|start|issue|add|login/.test(event)) return 'badge-success';
  return 'badge-accent';
}

function AuditRow(props: { entry: AuditEntry; tokens: ReadonlyMap<string, IssuedToken>; index: number }) {
  const { entry } = props;
  const [open, setOpen] = useState(false);
  const rawId = useId();
  return (
    <tr data-event={entry.event}>
      <td className="nowrap" data-label="Time" title={formatDateTime(entry.time)}>
        <span>
          <span className="cell-primary">{formatTimeSeconds(entry.time)}</span>
          <span className="cell-secondary">{formatDate(entry.time)}</span>
        </span>
      </td>
      <td data-label="Event">
        <span className={`badge ${tone(entry.event)}`} title={entry.event}>
          {auditEventLabel(entry.event)}
        </span>
      </td>
      <td data-label="What happened">
        <div className="audit-what">
          <span>{describeAudit(entry, props.tokens)}</span>
          {open ? (
            <pre className="audit-raw mono" id={rawId}>
              {rawLine(entry)}
            </pre>
          ) : null}
        </div>
      </td>
      <td className="actions">
        <button
          type="button"
          className="btn btn-sm"
          aria-expanded={open}
          aria-controls={open ? rawId : undefined}
          aria-label={`${open ? 'Hide' : 'Show'} the raw line of event ${props.index + 1}`}
          onClick={() => setOpen((shown) => !shown)}
        >
          {open ? 'Hide line' : 'Raw line'}
        </button>
      </td>
    </tr>
  );
}

function Filters() {
  const filters = useHomegate((state) => state.auditFilters);
  const setFilters = useHomegate((state) => state.setAuditFilters);
  const [search, setSearch] = useState(filters.search);
  const ids = { search: useId(), event: useId(), from: useId(), to: useId() };

  useEffect(() => {
    if (search === filters.search) return undefined;
    const timer = setTimeout(() => setFilters({ search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, filters.search, setFilters]);

  const active = JSON.stringify({ ...filters, search }) !== JSON.stringify(NO_AUDIT_FILTERS);
  const set = (change: Partial<AuditFilters>): void => setFilters(change);
  return (
    <form
      className="audit-filters"
      role="search"
      aria-label="Filter the audit log"
      onSubmit={(event) => {
        event.preventDefault();
        set({ search });
      }}
    >
      <div className="field audit-search">
        <label className="field-label" htmlFor={ids.search}>
          Search
        </label>
        <input
          id={ids.search}
          type="search"
          className="input input-sm"
          placeholder="Host, client, device, reason…"
          value={search}
          maxLength={200}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.event}>
          Event type
        </label>
        <select
          id={ids.event}
          className="input input-sm"
          value={filters.event}
          onChange={(event) => set({ event: event.target.value })}
        >
          <option value="">All events</option>
          {Object.entries(AUDIT_EVENT_LABELS).map(([event, label]) => (
            <option key={event} value={event}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.from}>
          From
        </label>
        <input
          id={ids.from}
          type="date"
          className="input input-sm"
          value={filters.fromDay}
          max={filters.toDay || undefined}
          onChange={(event) => set({ fromDay: event.target.value })}
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.to}>
          To
        </label>
        <input
          id={ids.to}
          type="date"
          className="input input-sm"
          value={filters.toDay}
          min={filters.fromDay || undefined}
          onChange={(event) => set({ toDay: event.target.value })}
        />
      </div>
      {active ? (
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          onClick={() => {
            setSearch('');
            set(NO_AUDIT_FILTERS);
          }}
        >
          Clear filters
        </button>
      ) : null}
    </form>
  );
}

function ExportButtons() {
  const collectAudit = useHomegate((state) => state.collectAudit);
  const tokens = useTokenNames();
  const notify = useHomegate((state) => state.notify);
  const [busy, setBusy] = useState<'csv' | 'json' | undefined>(undefined);
  const download = async (format: 'csv' | 'json'): Promise<void> => {
    setBusy(format);
    try {
      const { entries, truncated } = await collectAudit();
      const content = format === 'csv' ? auditToCsv(entries, tokens) : auditToJson(entries);
      const stamp = new Date().toISOString().slice(0, 10);
      saveExportedFile({
        fileName: `homegate-audit-${stamp}.${format}`,
        mimeType: format === 'csv' ? 'text/csv' : 'application/json',
        contentBase64: bytesToBase64(new TextEncoder().encode(content)),
      });
      notify(
        'success',
        `Exported ${entries.length === 1 ? '1 event' : `${entries.length} events`}${
          truncated ? ' (the newest ones; narrow the filters for older)' : ''
        }.`,
      );
    } catch (error) {
      notify('error', `Could not export the audit log: ${errorMessage(error)}`);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('csv')}>
        <Icon name="export" /> {busy === 'csv' ? 'Exporting…' : 'Export CSV'}
      </button>
      <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void download('json')}>
        <Icon name="export" /> {busy === 'json' ? 'Exporting…' : 'Export JSON'}
      </button>
    </>
  );
}

/** Issued tokens by id (lower case), to name the device or label behind a token id. */
function useTokenNames(): ReadonlyMap<string, IssuedToken> {
  const tokens = useHomegate((state) => state.tokens);
  return useMemo(() => new Map(tokens.map((token) => [token.jti.toLowerCase(), token])), [tokens]);
}

export function AuditView() {
  const audit = useHomegate((state) => state.audit);
  const next = useHomegate((state) => state.auditNext);
  const load = useHomegate((state) => state.auditLoad);
  const more = useHomegate((state) => state.auditMore);
  const filters = useHomegate((state) => state.auditFilters);
  const loadAudit = useHomegate((state) => state.loadAudit);
  const loadOlderAudit = useHomegate((state) => state.loadOlderAudit);
  const loadTokens = useHomegate((state) => state.loadTokens);
  const tokens = useTokenNames();
  const pagesShown = useHomegate((state) => state.auditMore.phase !== 'idle');

  useEffect(() => {
    void loadAudit();
    void loadTokens();
  }, [loadAudit, loadTokens]);
  useEffect(() => {
    // Refreshing would drop older pages the user loaded: only the first page follows along.
    if (pagesShown) return undefined;
    const timer = setInterval(() => void loadAudit(), AUDIT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadAudit, pagesShown]);

  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_AUDIT_FILTERS);
  let content;
  if (load.phase === 'error' && audit.length === 0) {
    content = <ErrorState title="Could not read the audit log" error={load.error} onRetry={() => void loadAudit()} />;
  } else if (load.phase !== 'ready' && audit.length === 0) {
    content = <LoadingState label="Reading the audit log…" />;
  } else if (audit.length === 0) {
    content = (
      <EmptyState icon="audit" title={filtered ? 'Nothing matches' : 'Nothing recorded yet'}>
        {filtered
          ? 'No event matches these filters. Change them, or clear them.'
          : 'Connections, refusals, disconnects and changes made here are recorded as they happen.'}
      </EmptyState>
    );
  } else {
    content = (
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
              {audit.map((entry, index) => (
                <AuditRow key={`${entry.time}-${index}`} entry={entry} tokens={tokens} index={index} />
              ))}
            </tbody>
          </table>
        </div>
        <div className="table-footer">
          <span className="muted" role="status">
            {audit.length === 1 ? '1 event' : `${audit.length} events`}
            {next === undefined ? ', back to the start of the log' : ''}
          </span>
          {next !== undefined ? (
            <button
              type="button"
              className="btn"
              disabled={more.phase === 'loading'}
              onClick={() => void loadOlderAudit()}
            >
              {more.phase === 'loading' ? 'Loading…' : 'Show older events'}
            </button>
          ) : null}
          {more.phase === 'error' ? (
            <span className="form-error" role="alert">
              Could not load older events: {more.error}
            </span>
          ) : null}
        </div>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who connected where, what was refused, and changes made here, newest first."
        actions={
          <>
            <ExportButtons />
            <button type="button" className="btn" onClick={() => void loadAudit()}>
              <Icon name="refresh" /> Refresh
            </button>
          </>
        }
      />
      <section className="card card-flush" aria-label="Audit events">
        <Filters />
        {content}
      </section>
    </>
  );
}
