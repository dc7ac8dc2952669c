import { open } from 'node:fs/promises';
import type { AuditEntry } from '../../shared/model/ui.ts';

const CHUNK_BYTES = 64 * 1024;

function parseEntry(line: Buffer): AuditEntry | undefined {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.time !== 'string' || typeof record.event !== 'string') return undefined;
    return record as AuditEntry;
  } catch {
    // A torn or foreign line: not an entry.
    return undefined;
  }
}

/** The most of the log one query page reads, however few lines match: a search never stalls the gateway. */
export const MAX_AUDIT_QUERY_SCAN_BYTES = 8 * 1024 * 1024;
/** The most the tail of the audit log is read back to find its last lines; older lines are not reached. */
export const MAX_AUDIT_TAIL_BYTES = MAX_AUDIT_QUERY_SCAN_BYTES;

/**
 * The newest `limit` entries of the audit log, newest first: the first page of an unfiltered query. The file is read
 * backwards in chunks and never more than MAX_AUDIT_TAIL_BYTES of it, however long it has grown; lines that are not
 * audit records are skipped.
 */
export async function readAuditTail(path: string, limit: number): Promise<AuditEntry[]> {
  if (limit <= 0) return [];
  return (await queryAudit(path, { limit })).entries;
}

export interface AuditQuery {
  readonly limit: number;
  /** A cursor from an earlier page: only lines that start before this byte offset. */
  readonly before?: number | undefined;
  /** Only this event type. */
  readonly event?: string | undefined;
  /** Case-insensitive text anywhere in the line (host, client, device, reason…). */
  readonly search?: string | undefined;
  /** ISO times; `from` inclusive, `to` exclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: AuditEntry[];
  /** The cursor of the next (older) page; undefined when the start of the log was reached. */
  readonly next: number | undefined;
}

/**
 * One page of the audit log, newest first, filtered by event type, text and time range, reading back from `before`
 * (default: the end). A page stops at `limit` matches, at the start of the log, at a line older than `from` (the log
 * is in time order), or after MAX_AUDIT_QUERY_SCAN_BYTES read: then `next` lets the caller go on from there.
 */
export async function queryAudit(path: string, query: AuditQuery): Promise<AuditPage> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], next: undefined };
    throw error;
  }
  const needle = query.search?.trim().toLowerCase() ?? '';
  const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
  const toMs = query.to === undefined ? undefined : Date.parse(query.to);
  try {
    const { size } = await handle.stat();
    const start = Math.min(size, query.before ?? size);
    const floor = Math.max(0, start - MAX_AUDIT_QUERY_SCAN_BYTES);
    const entries: AuditEntry[] = [];
    let position = start;
    let partial = Buffer.alloc(0);
    /** The offset where the oldest line looked at so far begins. */
    let cursor = start;
    let stop: 'limit' | 'from' | undefined;
    const consider = (line: Buffer, offset: number): void => {
      cursor = offset;
      const entry = parseEntry(line);
      if (!entry) return;
      const time = Date.parse(entry.time);
      if (fromMs !== undefined && time < fromMs) {
        stop = 'from';
        return;
      }
      if (toMs !== undefined && !(time < toMs)) return;
      if (query.event !== undefined && query.event !== '' && entry.event !== query.event) return;
      if (needle !== '' && !line.toString('utf8').toLowerCase().includes(needle)) return;
      entries.push(entry);
      if (entries.length >= query.limit) stop = 'limit';
    };
    while (position > floor && stop === undefined) {
      const length = Math.min(CHUNK_BYTES, position - floor);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      const text = Buffer.concat([chunk, partial]);
      let end = text.length;
      for (
        let index = text.lastIndexOf(0x0a, end - 1);
        index !== -1 && stop === undefined;
        index = text.lastIndexOf(0x0a, end - 1)
      ) {
        // A newline at the very end of the window ends the line after it, which an earlier page (or nothing) holds.
        if (index + 1 < end) consider(text.subarray(index + 1, end), position + index + 1);
        else cursor = position + index + 1;
        end = index;
        if (index === 0) break;
      }
      partial = text.subarray(0, end);
    }
    if (stop === undefined && position === 0) {
      if (partial.length > 0) consider(partial, 0);
      if (stop === undefined) return { entries, next: undefined };
    }
    if (stop === 'from') return { entries, next: undefined };
    // A line longer than the whole scan window: step over it rather than offer the same page again.
    const next = stop === undefined && cursor === start ? floor : cursor;
    return { entries, next: next > 0 ? next : undefined };
  } finally {
    await handle.close();
  }
}
