import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ConnectionAttempt } from '../../shared/model/doctor.ts';
import type { Logger } from '../logging/logger.ts';
import { TypedEmitter } from '../util/typed-emitter.ts';
import type { Diagnosis } from './causes.ts';

export const ATTEMPTS_FILE_NAME = 'attempts.log';
/** Attempts kept in memory for the UI. */
export const MAX_ATTEMPTS_IN_MEMORY = 200;
/** The file is moved to `attempts.log.1` (replacing the previous one) when it grows past this. */
export const MAX_ATTEMPTS_FILE_BYTES = 256 * 1024;
/** At most this many attempts are recorded per minute; a flood (a scanner) is counted, not stored. */
export const MAX_ATTEMPTS_PER_MINUTE = 60;
/** Free text from a client (names it asked for) is cut to this. */
const MAX_TEXT_CHARS = 300;

/** Who an attempt came from and what it was for; the diagnosis says what went wrong. */
export interface AttemptContext {
  readonly client: string;
  readonly transport: string;
  readonly device?: string | undefined;
  readonly host?: string | undefined;
  readonly requested?: string | undefined;
}

const Text = z.string().max(MAX_TEXT_CHARS * 2);
const StoredAttemptSchema = z.object({
  id: z.string().max(64),
  time: z.iso.datetime(),
  stage: z.enum(['tls', 'request', 'token', 'host', 'target', 'session']),
  code: z.string().max(64),
  cause: Text,
  fix: Text,
  client: z.string().max(128),
  device: Text.optional(),
  transport: z.string().max(32),
  host: Text.optional(),
  requested: Text.optional(),
  wakeOnLan: z.enum(['sent', 'no-mac', 'off']).optional(),
  detail: Text.optional(),
});

/**
 * The connection doctor's record of failed attempts: the last MAX_ATTEMPTS_IN_MEMORY in memory (for the UI and
 * its event), every one appended as a JSON line to `attempts.log` (0600), which rotates once at
 * MAX_ATTEMPTS_FILE_BYTES, so the disk holds at most twice that. What goes in is already free of secrets: causes,
 * fixes, addresses, names; client-supplied text is stripped of control characters and cut short.
 */
export class AttemptLog {
  readonly #path: string | undefined;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #attempts: ConnectionAttempt[] = [];
  readonly #events: TypedEmitter<{ attempt: ConnectionAttempt }>;
  #writes: Promise<void> = Promise.resolve();
  #windowStart = 0;
  #inWindow = 0;
  #dropped = 0;

  constructor(options: { path?: string; logger: Logger; now?: () => Date; initial?: readonly ConnectionAttempt[] }) {
    this.#path = options.path;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#events = new TypedEmitter((error) => options.logger.error('attempt listener failed', { error }));
    this.#attempts.push(...(options.initial ?? []).slice(-MAX_ATTEMPTS_IN_MEMORY));
  }

  /** Opens the log at `path`, with the attempts already in its file (so a restart keeps the recent ones). */
  static async open(path: string, logger: Logger, now?: () => Date): Promise<AttemptLog> {
    const initial = await readAttemptsFile(path, MAX_ATTEMPTS_IN_MEMORY);
    return new AttemptLog({ path, logger, initial: initial.reverse(), ...(now ? { now } : {}) });
  }

  /** Records one failed attempt; answers it, or undefined when the per-minute budget is spent. */
  record(diagnosis: Diagnosis, context: AttemptContext): ConnectionAttempt | undefined {
    const now = this.#now();
    if (now.getTime() - this.#windowStart >= 60_000) {
      if (this.#dropped > 0) this.#logger.warn('connection attempts not recorded (too many)', { count: this.#dropped });
      this.#windowStart = now.getTime();
      this.#inWindow = 0;
      this.#dropped = 0;
    }
    if (this.#inWindow >= MAX_ATTEMPTS_PER_MINUTE) {
      this.#dropped += 1;
      return undefined;
    }
    this.#inWindow += 1;
    const attempt: ConnectionAttempt = {
      id: randomUUID(),
      time: now.toISOString(),
      stage: diagnosis.stage,
      code: diagnosis.code,
      cause: clean(diagnosis.cause),
      fix: clean(diagnosis.fix),
      client: clean(context.client),
      transport: context.transport,
      ...optional('device', context.device),
      ...optional('host', context.host),
      ...optional('requested', context.requested),
      ...(diagnosis.wakeOnLan === undefined ? {} : { wakeOnLan: diagnosis.wakeOnLan }),
      ...optional('detail', diagnosis.detail),
    };
    this.#attempts.push(attempt);
    if (this.#attempts.length > MAX_ATTEMPTS_IN_MEMORY) this.#attempts.shift();
    this.#append(attempt);
    this.#events.emit('attempt', attempt);
    return attempt;
  }

  /** Newest first, at most `limit`. */
  list(limit = MAX_ATTEMPTS_IN_MEMORY): ConnectionAttempt[] {
    return this.#attempts.slice(-limit).reverse();
  }

  onAttempt(listener: (attempt: ConnectionAttempt) => void): () => void {
    return this.#events.on('attempt', listener);
  }

  /** Forgets the attempts in memory (the file keeps its history). */
  clear(): void {
    this.#attempts.length = 0;
  }

  /** Settles when every attempt recorded so far is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  #append(attempt: ConnectionAttempt): void {
    const path = this.#path;
    if (path === undefined) return;
    const line = `${JSON.stringify(attempt)}\n`;
    this.#writes = this.#writes
      .then(async () => {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const size = await stat(path).then(
          (info) => info.size,
          () => 0,
        );
        if (size + line.length > MAX_ATTEMPTS_FILE_BYTES) await rename(path, `${path}.1`);
        await appendFile(path, line, { mode: 0o600 });
      })
      .catch((error: unknown) => this.#logger.error('cannot write the attempts log', { path, error }));
  }
}

/** The newest `limit` attempts in `path` and its rotated predecessor, newest first; unreadable lines are skipped. */
export async function readAttemptsFile(path: string, limit: number): Promise<ConnectionAttempt[]> {
  const lines: string[] = [];
  for (const file of [`${path}.1`, path]) {
    try {
      const text = await readFile(file, 'utf8');
      if (text.length > MAX_ATTEMPTS_FILE_BYTES * 2) continue;
      lines.push(...text.split('\n'));
    } catch {
      // No file yet, or it went away in a rotation: nothing to read.
    }
  }
  const attempts: ConnectionAttempt[] = [];
  for (let index = lines.length - 1; index >= 0 && attempts.length < limit; index -= 1) {
    const line = lines[index];
    if (line.length === 0) continue;
    try {
      const parsed = StoredAttemptSchema.safeParse(JSON.parse(line));
      if (parsed.success) attempts.push(parsed.data as ConnectionAttempt);
    } catch {
      // A torn last line (the process stopped mid-write) is skipped.
    }
  }
  return attempts;
}

function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return plain.length > MAX_TEXT_CHARS ? `${plain.slice(0, MAX_TEXT_CHARS)}…` : plain;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined || value === '' ? {} : { [key]: clean(value) }) as { [P in K]?: string };
}
