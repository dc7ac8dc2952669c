import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { TypedEmitter } from '../util/typed-emitter.ts';

export const AUDIT_LOG_FILE_NAME = 'audit.log';

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
  | 'settings.updated';

/** One line of the audit log. `event` names what happened; the other fields say to whom and why. */
export interface AuditEvent {
  readonly event: 'tunnel.connect' | 'tunnel.refused' | 'tunnel.end' | 'jrl.updated' | AdminAuditEventName;
  readonly [field: string]: unknown;
}

/** An event as written: with its time. */
export type AuditEntryRecord = AuditEvent & { readonly time: string };

export interface AuditSink {
  record(event: AuditEvent): void;
}

/**
 * The append-only audit log: one JSON object per line, written in order, never rewritten.
 * Writes are buffered by the stream; `close` flushes them.
 */
export class AuditLog implements AuditSink {
  readonly #stream: WriteStream;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #events: TypedEmitter<{ record: AuditEntryRecord }>;

  private constructor(stream: WriteStream, logger: Logger, now: () => Date) {
    this.#stream = stream;
    this.#logger = logger;
    this.#now = now;
    this.#events = new TypedEmitter((error) => logger.error('audit listener failed', { error }));
    stream.on('error', (error) => logger.error('audit log write failed', { path: stream.path, error }));
  }

  static async open(path: string, logger: Logger, now: () => Date = () => new Date()): Promise<AuditLog> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new AuditLog(stream, logger, now);
  }

  record(event: AuditEvent): void {
    if (this.#stream.writableEnded) {
      this.#logger.warn('audit event after close', { event: event.event });
      return;
    }
    const line: AuditEntryRecord = { time: this.#now().toISOString(), ...event };
    this.#stream.write(`${JSON.stringify(line)}\n`);
    this.#events.emit('record', line);
  }

  /** Follows what is recorded from now on (the desktop app's refusal notifications). */
  onRecord(listener: (record: AuditEntryRecord) => void): () => void {
    return this.#events.on('record', listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stream.writableEnded) return resolve();
      this.#stream.end(() => resolve());
    });
  }
}
