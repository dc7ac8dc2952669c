import type { LogFields, LogLevel, Logger } from './logger.ts';

/** Lines kept for `GET /jet/diagnostics/logs`: recent history, bounded memory. */
export const LOG_RING_LINES = 1000;
/** A longer line is cut; one huge field must not evict the whole history. */
export const MAX_LOG_LINE_CHARS = 4096;

/** Field names whose values are secrets or could hold one; `tokenId` (a jti) is an identifier, not a secret. */
const SECRET_FIELD = /^(?!tokenId$).*(token|secret|password|passwd|authorization|cookie|private|credential|jwk|pem)/i;
/** A compact JWS anywhere in a string (three base64url parts, the first a JSON header). */
const JWT_TEXT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const RING_LEVELS: ReadonlySet<LogLevel> = new Set(['info', 'warn', 'error']);

/** The last LOG_RING_LINES log lines (info and above), secrets removed, in memory only. */
export class LogRing {
  readonly #capacity: number;
  readonly #lines: string[] = [];
  #next = 0;

  constructor(capacity: number = LOG_RING_LINES) {
    this.#capacity = capacity;
  }

  push(line: string): void {
    const bounded = line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}…` : line;
    if (this.#lines.length < this.#capacity) this.#lines.push(bounded);
    else this.#lines[this.#next] = bounded;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Oldest first. */
  lines(): string[] {
    if (this.#lines.length < this.#capacity) return [...this.#lines];
    return [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
  }
}

/**
 * A logger that writes through `base` and also feeds `ring` with a redacted copy: fields named like secrets are
 * replaced, and anything shaped like a JWT is masked wherever it appears, so the API never serves a token.
 */
export function teeLogger(
  base: Logger,
  ring: LogRing,
  bound: LogFields = {},
  now: () => Date = () => new Date(),
): Logger {
  const record = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (!RING_LEVELS.has(level)) return;
    const line = JSON.stringify({ time: now().toISOString(), level, msg, ...bound, ...fields }, redactingReplacer);
    ring.push(line.replace(JWT_TEXT, '[redacted-jwt]'));
  };
  return {
    debug: (msg, fields) => base.debug(msg, fields),
    info: (msg, fields) => {
      base.info(msg, fields);
      record('info', msg, fields);
    },
    warn: (msg, fields) => {
      base.warn(msg, fields);
      record('warn', msg, fields);
    },
    error: (msg, fields) => {
      base.error(msg, fields);
      record('error', msg, fields);
    },
    child: (fields) => teeLogger(base.child(fields), ring, { ...bound, ...fields }, now),
  };
}

function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SECRET_FIELD.test(key)) return '[redacted]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
