import { writeSync } from 'node:fs';
import { open, mkdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { TypedEmitter } from '../util/typed-emitter.ts';

export const AUDIT_LOG_FILE_NAME = 'audit.log';
/** The live file is rotated (audit.log → audit.log.1 → …) before it would grow past this. */
export const AUDIT_LOG_MAX_BYTES = 16 * 1024 * 1024;
/** Rotated files kept besides the live one; the oldest is deleted. 16 MiB × 6 files bounds the log at 96 MiB. */
export const AUDIT_LOG_ROTATED_FILES = 5;
/** Repeats of one refusal (every field the same) within this window become one line with a count. */
export const AUDIT_FOLD_INTERVAL_MS = 60_000;
/** How many times one refusal is written in full per window before its repeats are only counted. */
export const AUDIT_FOLD_FULL_LINES = 3;
/** Different refusals written in full per window; beyond it they are only counted, by kind (client `*`). */
export const AUDIT_FOLD_MAX_KEYS = 256;
/** Lines kept in memory while the file cannot be written; beyond it lines are dropped and counted. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** How soon a failed write is retried (a new file is opened at the same path). */
export const AUDIT_RETRY_MS = 5_000;

/** What an administrator did, from the app or the web admin page (`via` and `client` say where from). */
export type AdminAuditEventName =
  | 'admin.login'
  | 'admin.login-refused'
  | 'admin.logout'
  | 'gateway.paused'
  | 'gateway.resumed'
  | 'session.disconnected'
  | 'host.added'
  | 'host.updated'
  | 'host.removed'
  | 'token.issued'
  | 'token.revoked'
  | 'certificate.regenerated'
  | 'certificate.imported'
  | 'settings.updated'
  | 'download-link.issued'
  | 'host.woken';

/** One line of the audit log. `event` names what happened; the other fields say to whom and why. */
export interface AuditEvent {
  readonly event:
    | 'tunnel.connect'
    | 'tunnel.refused'
    | 'tunnel.end'
    | 'jrl.updated'
    | 'audit.resumed'
    | 'download-link.used'
    | 'download-link.refused'
    | 'connection.dropped'
    | AdminAuditEventName;
  readonly [field: string]: unknown;
}

/** An event as written: with its time. */
export type AuditEntryRecord = AuditEvent & { readonly time: string };

export interface AuditSink {
  record(event: AuditEvent): void;
}

/** The log cannot be written: since when, why, and how many lines were lost so far. */
export interface AuditLogProblem {
  readonly since: string;
  readonly error: string;
  readonly dropped: number;
}

/** Whether the log is being written, for the gateway status. */
export interface AuditLogHealth {
  readonly problem: AuditLogProblem | undefined;
  onProblemChange(listener: (problem: AuditLogProblem | undefined) => void): () => void;
}

export interface AuditLogOptions {
  readonly now?: () => Date;
  readonly maxBytes?: number;
  readonly rotatedFiles?: number;
  readonly foldIntervalMs?: number;
  readonly retryMs?: number;
}

/** Events that an unauthenticated client can cause at will: repeats are folded. */
const FOLDED_EVENTS: ReadonlySet<string> = new Set([
  'tunnel.refused',
  'admin.login-refused',
  'download-link.refused',
  'connection.dropped',
]);

interface Fold {
  readonly first: string;
  readonly fields: Record<string, unknown>;
  written: number;
  repeats: number;
}

/**
 * The append-only audit log: one JSON object per line, in order, never rewritten. It stays bounded on disk (the
 * live file is rotated by size, a fixed number of old files is kept) and against floods (repeats of one refusal
 * within a window become one line with a count). A write that fails (disk full, file removed) is retried in a new
 * file at the same path; until then lines wait in memory (bounded, the rest counted), the problem is reported by
 * `problem` and `onProblemChange`, and the first line written after it says how many were lost.
 */
export class AuditLog implements AuditSink, AuditLogHealth {
  readonly #path: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #maxBytes: number;
  readonly #rotatedFiles: number;
  readonly #foldIntervalMs: number;
  readonly #retryMs: number;
  readonly #events: TypedEmitter<{ problem: AuditLogProblem | undefined; record: AuditEntryRecord }>;
  #handle: FileHandle | undefined;
  #size = 0;
  /** The file may end in a cut-off line (a write failed part way): start the next write on a new line. */
  #mayBeTorn = false;
  #pending: string[] = [];
  #pendingBytes = 0;
  #draining: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #problem: AuditLogProblem | undefined;
  #folds = new Map<string, Fold>();
  #foldTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(path: string, logger: Logger, options: AuditLogOptions) {
    this.#path = path;
    this.#logger = logger;
    this.#now = options.now ?? (() => new Date());
    this.#maxBytes = options.maxBytes ?? AUDIT_LOG_MAX_BYTES;
    this.#rotatedFiles = options.rotatedFiles ?? AUDIT_LOG_ROTATED_FILES;
    this.#foldIntervalMs = options.foldIntervalMs ?? AUDIT_FOLD_INTERVAL_MS;
    this.#retryMs = options.retryMs ?? AUDIT_RETRY_MS;
    this.#events = new TypedEmitter((error) => logger.error('audit listener failed', { error }));
  }

  /** Opens (creating) the log at `path`; a failure here is the caller's (the gateway does not start without it). */
  static async open(path: string, logger: Logger, options: AuditLogOptions = {}): Promise<AuditLog> {
    await mkdir(dirname(path), { recursive: true });
    const log = new AuditLog(path, logger, options);
    await log.#openFile();
    return log;
  }

  /** Why the log cannot be written now; undefined while it can. */
  get problem(): AuditLogProblem | undefined {
    return this.#problem;
  }

  onProblemChange(listener: (problem: AuditLogProblem | undefined) => void): () => void {
    return this.#events.on('problem', listener);
  }

  record(event: AuditEvent): void {
    if (this.#closed) {
      this.#logger.warn('audit event after close', { event: event.event });
      return;
    }
    const time = this.#now().toISOString();
    if (FOLDED_EVENTS.has(event.event) && this.#folded(event, time)) return;
    const line: AuditEntryRecord = { time, ...event };
    this.#enqueue(`${JSON.stringify(line)}\n`);
    this.#events.emit('record', line);
  }

  /** Follows what is recorded from now on, less folded repeats (the desktop app's refusal notifications). */
  onRecord(listener: (record: AuditEntryRecord) => void): () => void {
    return this.#events.on('record', listener);
  }

  /** Writes the pending repeat counts and every waiting line (one last try), then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushFolds();
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#foldTimer);
    await this.#draining;
    await this.#drain();
    if (this.#pending.length > 0) {
      this.#logger.error('audit log closed with lines it could not write', { lines: this.#pending.length });
    }
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
    this.#events.clear();
  }

  /**
   * True when `event` repeats, field for field, a refusal already written AUDIT_FOLD_FULL_LINES times in this
   * window: it is counted instead.
   * Once AUDIT_FOLD_MAX_KEYS different ones were written, the rest are only counted, by kind (client `*`).
   */
  #folded(event: AuditEvent, time: string): boolean {
    const exact = JSON.stringify(event);
    const known = this.#folds.get(exact);
    if (known && known.written < AUDIT_FOLD_FULL_LINES) {
      known.written += 1;
      return false;
    }
    if (known) {
      known.repeats += 1;
      return true;
    }
    if (this.#foldTimer === undefined) {
      this.#foldTimer = setTimeout(() => {
        this.#foldTimer = undefined;
        this.#flushFolds();
      }, this.#foldIntervalMs).unref();
    }
    if (this.#folds.size < AUDIT_FOLD_MAX_KEYS) {
      this.#folds.set(exact, { first: time, fields: { ...event }, written: 1, repeats: 0 });
      return false;
    }
    const fields: Record<string, unknown> = { event: event.event, client: '*' };
    for (const name of ['transport', 'stage', 'reason', 'failure']) {
      if (event[name] !== undefined) fields[name] = event[name];
    }
    const kind = `*${JSON.stringify(fields)}`;
    const fold = this.#folds.get(kind) ?? { first: time, fields, written: 0, repeats: 0 };
    fold.repeats += 1;
    this.#folds.set(kind, fold);
    return true;
  }

  #flushFolds(): void {
    const time = this.#now().toISOString();
    for (const fold of this.#folds.values()) {
      if (fold.repeats === 0) continue;
      this.#enqueue(`${JSON.stringify({ time, ...fold.fields, repeated: fold.repeats, since: fold.first })}\n`);
    }
    this.#folds.clear();
  }

  #enqueue(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#pendingBytes + bytes > MAX_PENDING_BYTES) {
      this.#countDropped(1);
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += bytes;
    // While the file cannot be written, the retry timer (not every new line) tries again.
    if (!this.#problem) this.#kick();
  }

  #kick(): void {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#pending.length > 0 && !this.#problem && !this.#closed) this.#kick();
    });
  }

  /** Writes what is pending, in order, until nothing is or a write fails. */
  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      try {
        if (!this.#handle) await this.#openFile();
        // After a failure, the first write says what happened; the problem is over once that write succeeds.
        const problem = this.#problem;
        const resumed = problem
          ? `${JSON.stringify({ time: this.#now().toISOString(), event: 'audit.resumed', ...problem })}\n`
          : '';
        let batch = this.#batch(resumed);
        if (batch.count === 0) {
          await this.#rotate();
          batch = this.#batch(resumed);
        }
        this.#writeAll(batch.bytes);
        for (const line of this.#pending.splice(0, batch.count)) this.#pendingBytes -= Buffer.byteLength(line);
        if (problem) this.#recovered(problem);
      } catch (error) {
        this.#failed(error);
        return;
      }
    }
  }

  /** The pending lines that fit in the live file (at least one when it is empty), as the bytes to write. */
  #batch(first: string): { count: number; bytes: Buffer } {
    const prefix = `${this.#mayBeTorn ? '\n' : ''}${first}`;
    let room = this.#maxBytes - this.#size - Buffer.byteLength(prefix);
    let count = 0;
    let text = prefix;
    for (const line of this.#pending) {
      const length = Buffer.byteLength(line);
      if (length > room && (count > 0 || this.#size > 0)) break;
      room -= length;
      text += line;
      count += 1;
    }
    return { count, bytes: Buffer.from(text) };
  }

  /**
   * A synchronous append on the open descriptor: no threadpool round trip, which cost 20–40 µs of CPU per write
   * against 2 µs (the used-token journal appends the same way).
   */
  #writeAll(bytes: Buffer): void {
    const handle = this.#handle;
    if (!handle) throw new Error('the audit log is not open');
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const bytesWritten = writeSync(handle.fd, bytes, offset);
        offset += bytesWritten;
        this.#size += bytesWritten;
      }
      this.#mayBeTorn = false;
    } catch (error) {
      if (offset > 0) this.#mayBeTorn = true;
      throw error;
    }
  }

  async #openFile(): Promise<void> {
    const handle = await open(this.#path, 'a', 0o600);
    try {
      this.#size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#handle = handle;
  }

  /** audit.log.N-1 → audit.log.N, …, audit.log → audit.log.1 (the oldest is deleted), then a new audit.log. */
  async #rotate(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
    const name = (index: number): string => (index === 0 ? this.#path : `${this.#path}.${index}`);
    await rm(name(this.#rotatedFiles), { force: true });
    for (let index = this.#rotatedFiles - 1; index >= 0; index -= 1) {
      const exists = await stat(name(index)).then(
        () => true,
        () => false,
      );
      if (exists) await rename(name(index), name(index + 1));
    }
    this.#mayBeTorn = false;
    await this.#openFile();
  }

  #failed(error: unknown): void {
    const handle = this.#handle;
    this.#handle = undefined;
    void handle?.close().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    if (!this.#problem) {
      this.#problem = { since: this.#now().toISOString(), error: message, dropped: 0 };
      this.#logger.error('audit log write failed; retrying in a new file', { path: this.#path, error });
      this.#events.emit('problem', this.#problem);
    }
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#kick(), this.#retryMs).unref();
  }

  #countDropped(lines: number): void {
    if (!this.#problem) {
      this.#problem = { since: this.#now().toISOString(), error: 'too many lines waiting to be written', dropped: 0 };
    }
    this.#problem = { ...this.#problem, dropped: this.#problem.dropped + lines };
    this.#events.emit('problem', this.#problem);
  }

  /** A write succeeded again (its first line was `audit.resumed`). */
  #recovered(problem: AuditLogProblem): void {
    this.#problem = undefined;
    this.#logger.info('audit log written again', { path: this.#path, dropped: problem.dropped });
    this.#events.emit('problem', undefined);
  }
}
