import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session ends after this long without a request. */
export const ADMIN_SESSION_IDLE_MS = 30 * 60 * 1000;
/** …and after this long whatever happens: a stolen cookie is not good forever. */
export const ADMIN_SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Sessions held at once; a new login beyond this ends the least recently used one. */
export const MAX_ADMIN_SESSIONS = 32;
/** 256-bit random ids and CSRF tokens, base64url: 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSession {
  /** SHA-256 of the session id: the table's key, so the table never holds an id a memory dump could replay. */
  readonly key: string;
  readonly csrfToken: string;
  readonly client: string;
  readonly createdMs: number;
  lastSeenMs: number;
}

export interface AdminSessionLimits {
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly maxSessions: number;
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The web admin's logged-in sessions, server side: random ids, idle and absolute expiry, bounded in number. */
export class AdminSessionTable {
  readonly #sessions = new Map<string, AdminSession>();
  readonly #limits: AdminSessionLimits;
  readonly #now: () => number;

  constructor(options: Partial<AdminSessionLimits> & { readonly now?: () => number } = {}) {
    this.#limits = {
      idleMs: options.idleMs ?? ADMIN_SESSION_IDLE_MS,
      absoluteMs: options.absoluteMs ?? ADMIN_SESSION_ABSOLUTE_MS,
      maxSessions: options.maxSessions ?? MAX_ADMIN_SESSIONS,
    };
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Seconds the session cookie may live (the absolute limit). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.#limits.absoluteMs / 1000);
  }

  /** A new session for `client`; answers its id (for the cookie, never stored) and the session. */
  create(client: string): { readonly id: string; readonly session: AdminSession } {
    this.#sweep();
    while (this.#sessions.size >= this.#limits.maxSessions) {
      let oldest: AdminSession | undefined;
      for (const session of this.#sessions.values()) {
        if (!oldest || session.lastSeenMs < oldest.lastSeenMs) oldest = session;
      }
      if (!oldest) break;
      this.#sessions.delete(oldest.key);
    }
    const id = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = this.#now();
    const session: AdminSession = {
      key: keyOf(id),
      csrfToken: randomBytes(TOKEN_BYTES).toString('base64url'),
      client,
      createdMs: now,
      lastSeenMs: now,
    };
    this.#sessions.set(session.key, session);
    return { id, session };
  }

  /** The live session with this id, marked as used now; undefined when unknown or expired. */
  use(id: string): AdminSession | undefined {
    if (!TOKEN_PATTERN.test(id)) return undefined;
    const session = this.#live(keyOf(id));
    if (session) session.lastSeenMs = this.#now();
    return session;
  }

  /** Whether the session is still live, without counting as activity (event sockets ask this). */
  isLive(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  delete(key: string): void {
    this.#sessions.delete(key);
  }

  clear(): void {
    this.#sessions.clear();
  }

  #live(key: string): AdminSession | undefined {
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#now();
    if (now - session.lastSeenMs >= this.#limits.idleMs || now - session.createdMs >= this.#limits.absoluteMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }

  #sweep(): void {
    for (const key of [...this.#sessions.keys()]) this.#live(key);
  }
}

/** Compares a CSRF token sent by the client with the session's in constant time. */
export function csrfTokenMatches(session: AdminSession, sent: string | undefined): boolean {
  if (sent === undefined || !TOKEN_PATTERN.test(sent)) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrfToken));
}
