import { open } from 'node:fs/promises';
import type { AuditEntry } from '../../shared/model/ui.ts';

/** The most the tail of the audit log is read back to find its last lines; older lines are not reached. */
export const MAX_AUDIT_TAIL_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * The newest `limit` entries of the audit log, newest first. The file is read backwards in chunks and never more
 * than MAX_AUDIT_TAIL_BYTES of it, however long it has grown; lines that are not audit records are skipped.
 */
export async function readAuditTail(path: string, limit: number): Promise<AuditEntry[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const floor = Math.max(0, size - MAX_AUDIT_TAIL_BYTES);
    const entries: AuditEntry[] = [];
    let position = size;
    // Bytes of a line whose start is in a chunk not read yet.
    let partial = Buffer.alloc(0);
    while (position > floor && entries.length < limit) {
      const length = Math.min(CHUNK_BYTES, position - floor);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      let text = Buffer.concat([chunk, partial]);
      let end = text.length;
      for (let index = text.lastIndexOf(0x0a, end - 1); index !== -1; index = text.lastIndexOf(0x0a, end - 1)) {
        collect(text.subarray(index + 1, end), entries);
        end = index;
        if (entries.length >= limit) break;
        if (index === 0) break;
      }
      text = text.subarray(0, end);
      partial = text;
    }
    // The first line of the file (or of the window read) has no newline before it.
    if (entries.length < limit && position === 0 && partial.length > 0) collect(partial, entries);
    return entries.slice(0, limit);
  } finally {
    await handle.close();
  }
}

function collect(line: Buffer, entries: AuditEntry[]): void {
  if (line.length === 0) return;
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const record = value as Record<string, unknown>;
    if (typeof record.time !== 'string' || typeof record.event !== 'string') return;
    entries.push(record as AuditEntry);
  } catch {
    // A torn or foreign line: not an entry.
  }
}
