import type { CallInput } from '../../../../shared/ipc/contract.ts';
import type { AuditEntry } from '../../../../shared/model/ui.ts';
import { dayStart } from '../../audit-format.ts';
import { failed, IDLE, LOADING, READY, type Loadable, type SliceCreator } from '../slice.ts';

/** How many records one page of the audit view holds. */
export const AUDIT_PAGE = 200;
/** The most records an export gathers (page after page). */
export const AUDIT_EXPORT_MAX = 10_000;
/** And the most pages it asks for (a sparse search can answer pages with few or none). */
const AUDIT_EXPORT_MAX_PAGES = 200;

/** What the audit view is filtered by; days are `yyyy-mm-dd` from date inputs, inclusive, in local time. */
export interface AuditFilters {
  readonly event: string;
  readonly search: string;
  readonly fromDay: string;
  readonly toDay: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { event: '', search: '', fromDay: '', toDay: '' };

export type AuditQueryInput = CallInput<'audit.query'>;

/** The query for one page: only the filters that are set, the "to" day through its end. */
export function auditQuery(filters: AuditFilters, before?: number): AuditQueryInput {
  const from = dayStart(filters.fromDay);
  const to = dayStart(filters.toDay, 1);
  const search = filters.search.trim();
  return {
    limit: AUDIT_PAGE,
    ...(before === undefined ? {} : { before }),
    ...(filters.event === '' ? {} : { event: filters.event }),
    ...(search === '' ? {} : { search }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

export interface AuditSlice {
  /** Newest first: the pages loaded so far. */
  readonly audit: readonly AuditEntry[];
  /** The cursor of the next, older page; undefined when the start of the log was reached. */
  readonly auditNext: number | undefined;
  readonly auditLoad: Loadable;
  /** Loading an older page (the list stays on screen meanwhile). */
  readonly auditMore: Loadable;
  readonly auditFilters: AuditFilters;
  /** The first page for the current filters (replaces what is shown). */
  readonly loadAudit: () => Promise<void>;
  readonly loadOlderAudit: () => Promise<void>;
  readonly setAuditFilters: (filters: Partial<AuditFilters>) => void;
  /** Every record the filters match, page after page, up to AUDIT_EXPORT_MAX. */
  readonly collectAudit: () => Promise<{ entries: readonly AuditEntry[]; truncated: boolean }>;
}

export const createAuditSlice: SliceCreator<AuditSlice> = (set, get, api) => {
  // Answers to an older query (filters changed meanwhile) are dropped.
  let generation = 0;
  return {
    audit: [],
    auditNext: undefined,
    auditLoad: IDLE,
    auditMore: IDLE,
    auditFilters: NO_AUDIT_FILTERS,
    async loadAudit() {
      const mine = ++generation;
      if (get().auditLoad.phase !== 'ready') set({ auditLoad: LOADING });
      try {
        const page = await api['audit.query'](auditQuery(get().auditFilters));
        if (mine !== generation) return;
        set({ audit: page.entries, auditNext: page.next, auditLoad: READY, auditMore: IDLE });
      } catch (error) {
        if (mine === generation) set({ auditLoad: failed(error) });
      }
    },
    async loadOlderAudit() {
      const { auditNext, auditMore } = get();
      if (auditNext === undefined || auditMore.phase === 'loading') return;
      const mine = generation;
      set({ auditMore: LOADING });
      try {
        const page = await api['audit.query'](auditQuery(get().auditFilters, auditNext));
        if (mine !== generation) return;
        set({ audit: [...get().audit, ...page.entries], auditNext: page.next, auditMore: READY });
      } catch (error) {
        if (mine === generation) set({ auditMore: failed(error) });
      }
    },
    setAuditFilters(filters) {
      set({ auditFilters: { ...get().auditFilters, ...filters }, auditLoad: LOADING });
      void get().loadAudit();
    },
    async collectAudit() {
      const entries: AuditEntry[] = [];
      let before: number | undefined;
      // Bounded: each page is at most AUDIT_PAGE records or a bounded read, and the total is capped.
      for (let pages = 0; pages < AUDIT_EXPORT_MAX_PAGES; pages += 1) {
        const page = await api['audit.query']({ ...auditQuery(get().auditFilters, before), limit: 500 });
        entries.push(...page.entries);
        if (entries.length >= AUDIT_EXPORT_MAX) return { entries: entries.slice(0, AUDIT_EXPORT_MAX), truncated: true };
        if (page.next === undefined) return { entries, truncated: false };
        before = page.next;
      }
      return { entries, truncated: true };
    },
  };
};
