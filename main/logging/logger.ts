import { pino, type DestinationStream, type LoggerOptions as PinoOptions, type Logger as PinoLogger } from 'pino';

/**
 * Structured logging through pino: one JSON object per line, fields named, never a secret.
 * The gateway logs to stderr so that stdout stays free for command output (`homegate token` prints only the token).
 * The same redaction applies to every destination (stderr and the diagnostics ring, log-ring.ts).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (for example `{ tunnel: id }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Receives each finished line, newline included; stderr by default (synchronous, no worker transport). */
  write?: (line: string) => void;
  now?: () => Date;
}

export const REDACTED = '[redacted]';
export const REDACTED_JWT = '[redacted-jwt]';

/**
 * A field whose name mentions a secret is replaced, at any depth up to MAX_FIELD_DEPTH, in plain objects, arrays and
 * class instances alike (headers such as `set-cookie` and `proxy-authorization` included); `tokenId` (a jti) is an
 * identifier.
 */
const SECRET_FIELD =
  /^(?!tokenId$).*(token|secret|password|passwd|passphrase|authorization|cookie|private|credential|jwk|pem)/i;
/** A compact JWS anywhere in a line (three base64url parts, the first a JSON header). */
const JWT_TEXT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const MAX_FIELD_DEPTH = 8;

/** pino options shared by every homegate logger: the line shape (`time` ISO, `level` by name, `msg`) and redaction. */
export function pinoOptions(level: LogLevel, now: () => Date): PinoOptions<never> {
  return {
    level,
    base: null,
    messageKey: 'msg',
    timestamp: () => `,"time":"${now().toISOString()}"`,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => scrub(bindings, 0) as Record<string, unknown>,
      log: (fields) => scrub(fields, 0) as Record<string, unknown>,
    },
  };
}

/** A synchronous pino destination that masks JWT-shaped text anywhere in the line before `write` sees it. */
export function maskingDestination(write: (line: string) => void): DestinationStream {
  return { write: (line: string) => write(line.replace(JWT_TEXT, REDACTED_JWT)) };
}

/** Where finished lines go: each sink gets the lines at its level and above, newline included. */
export interface LogSink {
  readonly level: LogLevel;
  readonly write: (line: string) => void;
}

/** How a logger of this module was made, so that a sink can join its pass (`withSink`). */
interface Recipe {
  readonly sinks: readonly LogSink[];
  readonly now: () => Date;
  readonly bound: LogFields;
}

const recipes = new WeakMap<Logger, Recipe>();

/** Our `(msg, fields)` API over a pino logger. */
export function wrapPino(logger: PinoLogger<never>): Logger {
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    child: (fields) => wrapPino(logger.child(fields)),
  };
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  return fromRecipe({
    sinks: [{ level: options.level ?? 'info', write }],
    now: options.now ?? (() => new Date()),
    bound,
  });
}

/**
 * A logger for `base`'s lines that also hands those at `sink.level` and above to `sink`, in the same pass: each line
 * is serialised, redacted and masked once for every sink. Undefined when `base` was not made by `createLogger`.
 */
export function withSink(base: Logger, sink: LogSink): Logger | undefined {
  const recipe = recipes.get(base);
  return recipe && fromRecipe({ ...recipe, sinks: [...recipe.sinks, sink] });
}

function fromRecipe(recipe: Recipe): Logger {
  const lowest = Math.min(...recipe.sinks.map((sink) => levelValue(sink.level)));
  const level = recipe.sinks.find((sink) => levelValue(sink.level) === lowest)?.level ?? 'info';
  const root = pino(pinoOptions(level, recipe.now), fanOut(recipe.sinks));
  return recorded(Object.keys(recipe.bound).length === 0 ? root : root.child(recipe.bound), recipe);
}

function recorded(logger: PinoLogger<never>, recipe: Recipe): Logger {
  const wrapped: Logger = {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    child: (fields) => recorded(logger.child(fields), { ...recipe, bound: { ...recipe.bound, ...fields } }),
  };
  recipes.set(wrapped, recipe);
  return wrapped;
}

function levelValue(level: LogLevel): number {
  return pino.levels.values[level] ?? 0;
}

/** One destination for every sink: pino tells it each line's level (`lastLevel`), the JWT mask runs once. */
function fanOut(sinks: readonly LogSink[]): DestinationStream {
  const levels = sinks.map((sink) => levelValue(sink.level));
  const destination = {
    [pino.symbols.needsMetadataGsym]: true as const,
    lastLevel: 0,
    write(line: string): void {
      const masked = line.replace(JWT_TEXT, REDACTED_JWT);
      for (const [index, sink] of sinks.entries()) {
        if (destination.lastLevel >= (levels[index] ?? 0)) sink.write(masked);
      }
    },
  };
  return destination;
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ write: () => undefined });

/** Errors keep name, message and code (no stack), bigints become strings, secret-named fields are replaced. */
function scrub(value: unknown, depth: number): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null || depth >= MAX_FIELD_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => scrub(item, depth + 1));
  // What serialises itself (Date, Buffer, URL) is left to its toJSON; anything else is written as its own fields.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = SECRET_FIELD.test(key) ? REDACTED : scrub(item, depth + 1);
  return out;
}
