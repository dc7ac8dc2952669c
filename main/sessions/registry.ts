import { randomUUID } from 'node:crypto';
import type { SessionEndReason, SessionInfo } from '../../shared/model/sessions.ts';
import type { Logger } from '../logging/logger.ts';
import { TypedEmitter } from '../util/typed-emitter.ts';
import type { AuditSink } from './audit-log.ts';

/** How often live sessions with new traffic are announced; per-packet events would swamp the UI. */
export const SESSION_UPDATE_INTERVAL_MS = 1000;

/** What a session is when it starts: who, through which transport, to which host (as `SessionInfo` says them). */
export interface SessionStart extends Pick<
  SessionInfo,
  'transport' | 'clientAddress' | 'clientName' | 'tokenId' | 'host' | 'target' | 'association' | 'woken'
> {
  /** Gateway sessions: the client's validated `RDG-Correlation-Id`, for the audit log. */
  readonly correlationId?: string;
  /**
   * The verified token's claims, kept (not published) so that a new revocation list can find live sessions by any
   * claim it lists; sessions without them are matched by `jti` (their tokenId).
   */
  readonly tokenClaims?: Readonly<Record<string, unknown>>;
  /** Ends the session from outside (admin disconnect, shutdown); the owner tears down and then calls `end`. */
  readonly terminate: (reason: SessionEndReason) => void;
}

/** What the owner of a live session (a tunnel or a relay) uses to report on it. */
export interface SessionHandle {
  readonly id: string;
  countToTarget(bytes: number): void;
  countToClient(bytes: number): void;
  /** Records the end once; later calls are ignored. */
  end(reason: SessionEndReason, detail?: string): void;
}

export interface SessionEvents extends Record<string, unknown> {
  start: SessionInfo;
  update: SessionInfo;
  end: SessionInfo;
}

interface LiveSession {
  readonly start: SessionStart;
  readonly id: string;
  readonly startedAt: Date;
  bytesToTarget: number;
  bytesToClient: number;
  dirty: boolean;
}

/** Every live session, with start/update/end events for the UI and connect/end records in the audit log. */
export class SessionRegistry {
  readonly #sessions = new Map<string, LiveSession>();
  readonly #events: TypedEmitter<SessionEvents>;
  readonly #audit: AuditSink;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #updateIntervalMs: number;
  // Armed by the first count after a flush, so a gateway with no traffic has no timer at all (idle cost).
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { audit: AuditSink; logger: Logger; now?: () => Date; updateIntervalMs?: number }) {
    this.#audit = options.audit;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#events = new TypedEmitter((error) => this.#logger.error('session listener failed', { error }));
    this.#updateIntervalMs = options.updateIntervalMs ?? SESSION_UPDATE_INTERVAL_MS;
  }

  on<K extends keyof SessionEvents>(event: K, listener: (info: SessionEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  get size(): number {
    return this.#sessions.size;
  }

  list(): SessionInfo[] {
    return [...this.#sessions.values()].map((session) => this.#info(session));
  }

  get(id: string): SessionInfo | undefined {
    const session = this.#sessions.get(id);
    return session && this.#info(session);
  }

  open(start: SessionStart): SessionHandle {
    const session: LiveSession = {
      start,
      id: randomUUID(),
      startedAt: this.#now(),
      bytesToTarget: 0,
      bytesToClient: 0,
      dirty: false,
    };
    this.#sessions.set(session.id, session);
    const info = this.#info(session);
    this.#audit.record({
      event: 'tunnel.connect',
      session: session.id,
      transport: start.transport,
      client: start.clientAddress,
      clientName: start.clientName,
      tokenId: start.tokenId,
      host: start.host,
      target: start.target,
      ...(start.association ? { associationId: start.association.associationId } : {}),
      ...(start.correlationId === undefined ? {} : { correlationId: start.correlationId }),
      ...(start.woken ? { woken: true } : {}),
    });
    this.#events.emit('start', info);

    let ended = false;
    return {
      id: session.id,
      countToTarget: (bytes) => {
        session.bytesToTarget += bytes;
        if (!session.dirty) this.#markDirty(session);
      },
      countToClient: (bytes) => {
        session.bytesToClient += bytes;
        if (!session.dirty) this.#markDirty(session);
      },
      end: (reason, detail) => {
        if (ended) return;
        ended = true;
        this.#sessions.delete(session.id);
        const endedAt = this.#now();
        const final: SessionInfo = { ...this.#info(session), endedAt: endedAt.toISOString(), endReason: reason };
        this.#audit.record({
          event: 'tunnel.end',
          session: session.id,
          transport: start.transport,
          client: start.clientAddress,
          tokenId: start.tokenId,
          host: start.host,
          target: start.target,
          reason,
          ...(detail === undefined ? {} : { detail }),
          bytesToTarget: session.bytesToTarget,
          bytesToClient: session.bytesToClient,
          durationMs: endedAt.getTime() - session.startedAt.getTime(),
        });
        this.#events.emit('end', final);
      },
    };
  }

  /** Asks a live session to end; answers false when there is no such session. */
  disconnect(id: string, reason: SessionEndReason = 'admin-disconnect'): boolean {
    const session = this.#sessions.get(id);
    if (!session) return false;
    session.start.terminate(reason);
    return true;
  }

  /**
   * Asks every live session whose token matches `test` to end (a new revocation list); answers their ids.
   * `test` sees the session's token claims, or `{ jti: tokenId }` for sessions that kept none.
   */
  disconnectWhere(test: (claims: Readonly<Record<string, unknown>>) => boolean, reason: SessionEndReason): string[] {
    const matched = [...this.#sessions.values()].filter((session) =>
      test(session.start.tokenClaims ?? { jti: session.start.tokenId }),
    );
    for (const session of matched) session.start.terminate(reason);
    return matched.map((session) => session.id);
  }

  disconnectAll(reason: SessionEndReason): void {
    for (const session of [...this.#sessions.values()]) session.start.terminate(reason);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#events.clear();
  }

  /**
   * The first count since the last flush: the flush one interval from now announces it (with any that follow).
   * With no `update` listener there is nothing to announce; a listener that comes later hears the next count.
   */
  #markDirty(session: LiveSession): void {
    if (!this.#events.listens('update')) return;
    session.dirty = true;
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => this.#flushUpdates(), this.#updateIntervalMs);
    this.#timer.unref();
  }

  #flushUpdates(): void {
    this.#timer = undefined;
    const announce = this.#events.listens('update');
    for (const session of this.#sessions.values()) {
      if (!session.dirty) continue;
      session.dirty = false;
      if (announce) this.#events.emit('update', this.#info(session));
    }
  }

  #info(session: LiveSession): SessionInfo {
    const { start } = session;
    return {
      id: session.id,
      transport: start.transport,
      clientAddress: start.clientAddress,
      clientName: start.clientName,
      tokenId: start.tokenId,
      host: start.host,
      target: start.target,
      startedAt: session.startedAt.toISOString(),
      bytesToTarget: session.bytesToTarget,
      bytesToClient: session.bytesToClient,
      ...(start.association ? { association: start.association } : {}),
      ...(start.woken ? { woken: true } : {}),
    };
  }
}
