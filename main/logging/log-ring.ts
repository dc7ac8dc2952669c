import { pino } from 'pino';
import { maskingDestination, pinoOptions, withSink, wrapPino, type Logger } from './logger.ts';

/** Lines kept for `GET /jet/diagnostics/logs`: recent history, bounded memory. */
export const LOG_RING_LINES = 1000;
/** A longer line is cut; one huge field must not evict the whole history. */
export const MAX_LOG_LINE_CHARS = 4096;

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
 * A logger that writes through `base` and also feeds `ring` (info and above) with the same redaction as stderr:
 * secret-named fields replaced, JWT-shaped text masked, so the API never serves a token. A logger made by
 * `createLogger` serialises each line once for both; any other goes through a second pino logger for the ring.
 */
export function teeLogger(base: Logger, ring: LogRing): Logger {
  const push = (line: string): void => ring.push(line.trimEnd());
  const joined = withSink(base, { level: 'info', write: push });
  if (joined) return joined;
  const ringLogger = pino(
    pinoOptions('info', () => new Date()),
    maskingDestination(push),
  );
  return tee(base, wrapPino(ringLogger));
}

function tee(base: Logger, copy: Logger): Logger {
  return {
    debug: (msg, fields) => base.debug(msg, fields),
    info: (msg, fields) => {
      base.info(msg, fields);
      copy.info(msg, fields);
    },
    warn: (msg, fields) => {
      base.warn(msg, fields);
      copy.warn(msg, fields);
    },
    error: (msg, fields) => {
      base.error(msg, fields);
      copy.error(msg, fields);
    },
    child: (fields) => tee(base.child(fields), copy.child(fields)),
  };
}
