import { copyFile, readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { MAX_REMEMBERED_HOSTS, type ReachabilityRecord } from './reachability.ts';

export const REACHABILITY_FILE_NAME = 'reachability.json';
/** A file larger than this is not read (it cannot come from MAX_REMEMBERED_HOSTS entries). */
export const MAX_REACHABILITY_FILE_BYTES = 1024 * 1024;
/** Changes are written together, at most once in this long (a reconnecting client notes its host often). */
export const REACHABILITY_WRITE_DELAY_MS = 1_000;

const RecordSchema = z
  .object({
    host: z.string().min(1).max(253),
    reachable: z.boolean(),
    at: z.iso.datetime(),
    woken: z.boolean(),
    wakeOnLan: z.enum(['sent', 'no-mac', 'off']),
    error: z.string().max(500).optional(),
  })
  .strict();

const FileSchema = z.object({ version: z.literal(1), hosts: z.array(RecordSchema).max(MAX_REMEMBERED_HOSTS) }).strict();

/**
 * Each host's last reachability in `reachability.json` (0600), so it outlives a restart: read once at start, then
 * rewritten atomically (temporary file, fsync, rename) a moment after each change. A file that cannot be used is
 * copied to `reachability.json.corrupt-TIME`, reported, and replaced by the next write: losing it loses only
 * history.
 */
export class ReachabilityFile {
  readonly #path: string;
  readonly #logger: Logger;
  #pending: readonly ReachabilityRecord[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writes: Promise<void> = Promise.resolve();

  constructor(path: string, logger: Logger) {
    this.#path = path;
    this.#logger = logger;
  }

  /** The records in the file; none when there is no file, or when it was unusable (then backed up and reported). */
  async read(): Promise<ReachabilityRecord[]> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.#logger.error("cannot read the hosts' last reachability; starting without it", { path: this.#path, error });
      return [];
    }
    const problem = parseRecords(bytes);
    if (typeof problem !== 'string') return problem;
    const backupPath = `${this.#path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(this.#path, backupPath).catch(() => undefined);
    this.#logger.error("the hosts' last reachability file cannot be used; starting without it", {
      path: this.#path,
      backupPath,
      problem,
    });
    return [];
  }

  /** Writes `records` soon, together with any change that follows in the next moment. */
  save(records: readonly ReachabilityRecord[]): void {
    this.#pending = records;
    this.#timer ??= setTimeout(() => void this.#writeNow(), REACHABILITY_WRITE_DELAY_MS).unref();
  }

  /** Writes what is pending now; settles when every write so far is on disk (or reported as failed). */
  flush(): Promise<void> {
    return this.#writeNow();
  }

  #writeNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const records = this.#pending;
    this.#pending = undefined;
    if (records !== undefined) {
      const text = `${JSON.stringify({ version: 1, hosts: records }, null, 2)}\n`;
      this.#writes = this.#writes
        .then(() => writeFileAtomic(this.#path, text, { mode: 0o600 }))
        .catch((error: unknown) =>
          this.#logger.error("cannot save the hosts' last reachability", { path: this.#path, error }),
        );
    }
    return this.#writes;
  }
}

/** The file's records, or why they cannot be used. */
function parseRecords(bytes: Buffer): ReachabilityRecord[] | string {
  if (bytes.length > MAX_REACHABILITY_FILE_BYTES) return `larger than ${MAX_REACHABILITY_FILE_BYTES} bytes`;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not valid JSON';
  }
  const parsed = FileSchema.safeParse(value);
  if (parsed.success) return parsed.data.hosts;
  return parsed.error.issues[0]?.message ?? 'invalid';
}
