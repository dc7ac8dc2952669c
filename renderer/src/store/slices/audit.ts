import type { AuditEntry } from '../../../../shared/model/ui.ts';
import { failed, IDLE, LOADING, READY, type Loadable, type SliceCreator } from '../slice.ts';

/** How many of the newest audit records the view asks for. */
export const AUDIT_LIMIT = 200;

export interface AuditSlice {
  /** Newest first. */
  readonly audit: readonly AuditEntry[];
  readonly auditLoad: Loadable;
  /** An event type to show alone, or '' for all. */
  readonly auditFilter: string;
  readonly loadAudit: () => Promise<void>;
  readonly setAuditFilter: (event: string) => void;
}

export function filterAudit(entries: readonly AuditEntry[], event: string): readonly AuditEntry[] {
  return event === '' ? entries : entries.filter((entry) => entry.event === event);
}

/** The event types present, sorted, for the filter. */
export function auditEventTypes(entries: readonly AuditEntry[]): readonly string[] {
  return [...new Set(entries.map((entry) => entry.event))].sort();
}

export const createAuditSlice: SliceCreator<AuditSlice> = (set, get, api) => ({
  audit: [],
  auditLoad: IDLE,
  auditFilter: '',
  async loadAudit() {
    if (get().auditLoad.phase !== 'ready') set({ auditLoad: LOADING });
    try {
      const entries = await api['audit.list']({ limit: AUDIT_LIMIT });
      set({ audit: [...entries].sort((a, b) => b.time.localeCompare(a.time)), auditLoad: READY });
    } catch (error) {
      set({ auditLoad: failed(error) });
    }
  },
  setAuditFilter(auditFilter) {
    set({ auditFilter });
  },
});
