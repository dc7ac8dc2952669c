import { appendFileSync, closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import { MAX_TRACKED_TOKENS, type RememberedUse } from './replay-cache.ts';

export const PAA_REPLAY_FILE_NAME = 'used-tokens-paa.jsonl';
export const ASSOCIATION_REPLAY_FILE_NAME = 'used-tokens-association.jsonl';
/** Larger than a journal of MAX_TRACKED_TOKENS live entries between two compactions; a bigger file is not ours. */
export const MAX_REPLAY_JOURNAL_BYTES = 32 * 1024 * 1024;
/** Appended lines after which the journal is rewritten with only the uses still remembered. */
const COMPACT_AFTER_LINES = 4_096;

const LineSchema = z
  .object({
    jti: z.string().min(1).max(128),
    address: z.string().min(1).max(64),
    firstUseMs: z.number().int().nonnegative(),
    forgetAtMs: z.number().int().nonnegative(),
  })
  .strict();

/**
 * The single-use tokens already used, saved so that a restart does not make them usable again (issue 13): one
 * JSON line per first use, appended synchronously before the use is allowed, rewritten atomically with only the
 * unexpired uses at start and every COMPACT_AFTER_LINES lines. A torn last line (a crash mid-append) is skipped;
 * a file with other bad lines is copied aside before it is rewritten, and reported.
 */
export class ReplayJournal {
  readonly #path: string;
  readonly #logger: Logger;
  #appended = 0;
  #failing = false;

  private constructor(path: string, logger: Logger) {
    this.#path = path;
    this.#logger = logger;
  }

  /** Reads the uses saved at `path` that are still remembered at `nowMs`, oldest first, and compacts the file. */
  static async open(
    path: string,
    logger: Logger,
    nowMs = Date.now(),
  ): Promise<{ journal: ReplayJournal; restored: RememberedUse[] }> {
    const journal = new ReplayJournal(path, logger);
    const restored = await journal.#read(nowMs);
    journal.#rewrite(restored);
    return { journal, restored };
  }

  /**
   * Saves one first use; the caller allows the use only after this returns. Failures are reported, not thrown.
   * Every COMPACT_AFTER_LINES lines the file is rewritten with the uses still `remembered`.
   */
  record(use: RememberedUse, remembered: () => Iterable<RememberedUse>): void {
    try {
      appendFileSync(this.#path, `${JSON.stringify(use)}\n`, { mode: 0o600 });
      if (this.#failing) this.#logger.info('used-token journal writable again', { path: this.#path });
      this.#failing = false;
    } catch (error) {
      // The memory cache still refuses replays; only a restart before the disk recovers would forget this use.
      if (!this.#failing) this.#logger.error('cannot save a used token; a restart would forget it', { error });
      this.#failing = true;
      return;
    }
    this.#appended += 1;
    if (this.#appended >= COMPACT_AFTER_LINES) this.#rewrite([...remembered()]);
  }

  async #read(nowMs: number): Promise<RememberedUse[]> {
    let text: string;
    try {
      const bytes = await readFile(this.#path);
      if (bytes.length > MAX_REPLAY_JOURNAL_BYTES) {
        await this.#setAside(`it is larger than ${MAX_REPLAY_JOURNAL_BYTES} bytes`);
        return [];
      }
      text = bytes.toString('utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = text.split('\n');
    const last = lines.pop();
    const uses: RememberedUse[] = [];
    let bad = 0;
    for (const line of lines) {
      const parsed = parseLine(line);
      if (parsed) uses.push(parsed);
      else bad += 1;
    }
    // The last line lacks its newline only when an append was cut off: nothing to report.
    const torn = last !== undefined && last !== '' ? parseLine(last) : undefined;
    if (torn) uses.push(torn);
    if (bad > 0) await this.#setAside(`${bad} of its lines are not used-token records`);
    return uses.filter((use) => use.forgetAtMs >= nowMs).slice(-MAX_TRACKED_TOKENS);
  }

  async #setAside(why: string): Promise<void> {
    const backup = `${this.#path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(this.#path, backup);
    this.#logger.error('used-token journal is damaged; copied aside, the readable uses are kept', {
      path: this.#path,
      backup,
      why,
    });
  }

  /** Replaces the file with `uses`: written to a sibling, flushed, renamed over it (synchronously, like appends). */
  #rewrite(uses: readonly RememberedUse[]): void {
    const temp = join(dirname(this.#path), `.${basename(this.#path)}.tmp`);
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, uses.map((use) => `${JSON.stringify(use)}\n`).join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.#path);
      this.#appended = 0;
    } catch (error) {
      this.#logger.error('cannot compact the used-token journal', { path: this.#path, error });
    }
  }
}

function parseLine(line: string): RememberedUse | undefined {
  try {
    const parsed = LineSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
