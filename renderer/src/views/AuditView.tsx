import { useEffect } from 'react';
import { Icon } from '../components/Icon.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { EmptyState, Loaded } from '../components/States.tsx';
import { useHomegate } from '../store/context.tsx';
import { NO_AUDIT_FILTERS } from '../store/slices/audit.ts';
import { AuditFilters } from './audit/AuditFilters.tsx';
import { AuditTable } from './audit/AuditTable.tsx';
import { ExportButtons } from './audit/ExportButtons.tsx';

/** New records arrive without a push event: refresh while the log is on screen (only its first page). */
const AUDIT_REFRESH_MS = 10_000;

function useAuditRefresh(): void {
  const loadAudit = useHomegate((state) => state.loadAudit);
  const loadTokens = useHomegate((state) => state.loadTokens);
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
}

/** The events, or why there are none: still reading, a failure to read, or nothing recorded (or matching). */
function AuditEvents() {
  const audit = useHomegate((state) => state.audit);
  const load = useHomegate((state) => state.auditLoad);
  const filters = useHomegate((state) => state.auditFilters);
  const loadAudit = useHomegate((state) => state.loadAudit);

  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_AUDIT_FILTERS);
  return (
    <Loaded
      load={load}
      none={audit.length === 0}
      loadingLabel="Reading the audit log…"
      errorTitle="Could not read the audit log"
      onRetry={() => void loadAudit()}
      empty={
        <EmptyState icon="audit" title={filtered ? 'Nothing matches' : 'Nothing recorded yet'}>
          {filtered
            ? 'No event matches these filters. Change them, or clear them.'
            : 'Connections, refusals, disconnects and changes made here are recorded as they happen.'}
        </EmptyState>
      }
    >
      <AuditTable audit={audit} />
    </Loaded>
  );
}

export function AuditView() {
  const loadAudit = useHomegate((state) => state.loadAudit);
  useAuditRefresh();
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
        <AuditFilters />
        <AuditEvents />
      </section>
    </>
  );
}
