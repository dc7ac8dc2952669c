import { useEffect, useId, useState } from 'react';
import { AUDIT_EVENT_LABELS } from '../../audit-format.ts';
import { useHomegate } from '../../store/context.tsx';
import { NO_AUDIT_FILTERS, type AuditFilters as Filters } from '../../store/slices/audit.ts';

/** Typing in the search box queries once the typing pauses. */
const SEARCH_DELAY_MS = 350;

function EventTypeField(props: { value: string; onChange: (event: string) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        Event type
      </label>
      <select
        id={id}
        className="input input-sm"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        <option value="">All events</option>
        {Object.entries(AUDIT_EVENT_LABELS).map(([event, label]) => (
          <option key={event} value={event}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

function DayField(props: {
  label: string;
  value: string;
  min?: string | undefined;
  max?: string | undefined;
  onChange: (day: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {props.label}
      </label>
      <input
        id={id}
        type="date"
        className="input input-sm"
        value={props.value}
        min={props.min}
        max={props.max}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}

/** The search box keeps its own text and applies it to the filters once typing pauses (or on Enter). */
function useSearch(filters: Filters, setFilters: (change: Partial<Filters>) => void) {
  const [search, setSearch] = useState(filters.search);
  useEffect(() => {
    if (search === filters.search) return undefined;
    const timer = setTimeout(() => setFilters({ search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, filters.search, setFilters]);
  return [search, setSearch] as const;
}

export function AuditFilters() {
  const filters = useHomegate((state) => state.auditFilters);
  const setFilters = useHomegate((state) => state.setAuditFilters);
  const [search, setSearch] = useSearch(filters, setFilters);
  const searchId = useId();

  const active = JSON.stringify({ ...filters, search }) !== JSON.stringify(NO_AUDIT_FILTERS);
  const set = (change: Partial<Filters>): void => setFilters(change);
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
        <label className="field-label" htmlFor={searchId}>
          Search
        </label>
        <input
          id={searchId}
          type="search"
          className="input input-sm"
          placeholder="Host, client, device, reason…"
          value={search}
          maxLength={200}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      <EventTypeField value={filters.event} onChange={(event) => set({ event })} />
      <DayField
        label="From"
        value={filters.fromDay}
        max={filters.toDay || undefined}
        onChange={(fromDay) => set({ fromDay })}
      />
      <DayField
        label="To"
        value={filters.toDay}
        min={filters.fromDay || undefined}
        onChange={(toDay) => set({ toDay })}
      />
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
