import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { withStoreLock } from '../certs/store-lock.ts';
import type { IssuedToken } from '../../shared/model/ui.ts';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { MAX_DEVICE_LABEL_CHARS, TOKEN_CLOCK_LEEWAY_SECONDS } from './tokens.ts';

export const ISSUED_TOKENS_FILE_NAME = 'issued-tokens.json';
/** Tokens remembered at once; expired ones go first when the registry is full. */
export const MAX_ISSUED_TOKENS = 2_000;
/** How long an expired token stays listed (the UI shows recent history), in milliseconds. */
export const EXPIRED_TOKEN_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Larger than any registry within MAX_ISSUED_TOKENS; a bigger file is not ours. */
export const MAX_ISSUED_TOKENS_FILE_BYTES = 4 * 1024 * 1024;

const Timestamp = z.iso.datetime();
const Text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u);

/** One token's metadata as stored: never the token itself, which would be a credential at rest. */
const StoredTokenSchema = z
  .object({
    jti: Text(128),
    kind: z.enum(['paa', 'association', 'device']),
    host: Text(253),
    label: Text(64).optional(),
    device: Text(MAX_DEVICE_LABEL_CHARS).optional(),
    singleUse: z.boolean(),
    issuedAt: Timestamp,
    expiresAt: Timestamp,
    revokedAt: Timestamp.optional(),
  })
  .strict();
type StoredToken = z.infer<typeof StoredTokenSchema>;

const RegistryFileSchema = z
  .object({ version: z.literal(1), tokens: z.array(StoredTokenSchema).max(MAX_ISSUED_TOKENS) })
  .strict();

/** What `record` takes: a token just issued. */
export interface NewIssuedToken {
  readonly jti: string;
  readonly kind: IssuedToken['kind'];
  readonly host: string;
  readonly label?: string | undefined;
  readonly device?: string | undefined;
  readonly singleUse: boolean;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** Another homegate process holds the list's lock file and does not let go. */
export class IssuedTokensBusyError extends Error {
  override readonly name = 'IssuedTokensBusyError';
  constructor(lockFile: string, waitedMs: number) {
    super(`the issued-token list is locked by another homegate process (${lockFile}, waited ${waitedMs} ms)`);
  }
}

/** Every remembered token is still valid and the registry is full: nothing can be forgotten to make room. */
export class IssuedTokenLimitError extends Error {
  override readonly name = 'IssuedTokenLimitError';
  constructor() {
    super(`${MAX_ISSUED_TOKENS} tokens are still valid; revoke some before issuing more`);
  }
}

/**
 * The tokens this gateway issued through the UI, as metadata (jti, kind, host, labels, times, revocation), so they
 * can be listed and revoked. Saved atomically (0600) after every change; the tokens themselves are never stored.
 * A file that cannot be used is copied aside and reported, and the registry starts empty: revocation does not
 * depend on it (the revocation list is its own file), only the listing does.
 *
 * The command line records the tokens it mints in the same file while a gateway may be running: `refresh` reads the
 * file again when it changed on disk since this registry last read or wrote it, so tokens from `homegate token paa`
 * are listed, and revocable, with the UI's. Every change is made in one queue per registry and, across processes,
 * under a lock file beside the list: re-read (when changed), change, write, note what was written. Without the lock
 * two processes could both read the same list and the second write would drop the first one's entry, or one could
 * note another's write as its own and then overwrite it.
 */
export class IssuedTokenRegistry {
  readonly #path: string;
  readonly #now: () => Date;
  readonly #logger: Logger;
  #tokens: StoredToken[];
  #queue: Promise<unknown> = Promise.resolve();
  /** The file as last read or written (modification time and size), to notice another process's change. */
  #seen: string | undefined;

  private constructor(path: string, tokens: StoredToken[], now: () => Date, logger: Logger, seen: string | undefined) {
    this.#path = path;
    this.#tokens = tokens;
    this.#now = now;
    this.#logger = logger;
    this.#seen = seen;
  }

  static async open(path: string, logger: Logger, now: () => Date = () => new Date()): Promise<IssuedTokenRegistry> {
    const seen = await fileStamp(path);
    return new IssuedTokenRegistry(path, await readRegistry(path, logger), now, logger, seen);
  }

  /** Reads the file again if another process (the command line) changed it. */
  refresh(): Promise<void> {
    return this.#enqueue(() => this.#reloadIfChanged());
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** Newest first. */
  list(): IssuedToken[] {
    return this.#tokens.map(toIssuedToken).reverse();
  }

  get(jti: string): IssuedToken | undefined {
    const stored = this.#find(jti);
    return stored && toIssuedToken(stored);
  }

  /**
   * True when `jti` is a token of ours that expired (clock leeway included): the revocation list no longer needs
   * to name it, since it fails its lifetime check anyway.
   */
  hasExpired(jti: string): boolean {
    const stored = this.#find(jti);
    if (!stored) return false;
    return Date.parse(stored.expiresAt) + TOKEN_CLOCK_LEEWAY_SECONDS * 1000 < this.#now().getTime();
  }

  /** Remembers a token just issued; throws `IssuedTokenLimitError` when full of valid tokens. */
  record(token: NewIssuedToken): Promise<IssuedToken> {
    return this.#change(async () => {
      const stored = StoredTokenSchema.parse({
        jti: token.jti,
        kind: token.kind,
        host: token.host,
        ...(token.label === undefined ? {} : { label: token.label }),
        ...(token.device === undefined ? {} : { device: token.device }),
        singleUse: token.singleUse,
        issuedAt: token.issuedAt.toISOString(),
        expiresAt: token.expiresAt.toISOString(),
      });
      const next = this.#pruned();
      if (next.length >= MAX_ISSUED_TOKENS) {
        const nowMs = this.#now().getTime();
        const expired = next.findIndex((entry) => Date.parse(entry.expiresAt) < nowMs);
        if (expired === -1) throw new IssuedTokenLimitError();
        next.splice(expired, 1);
      }
      next.push(stored);
      await this.#save(next);
      return toIssuedToken(stored);
    });
  }

  /** Marks a token revoked (the first time only); undefined when it is not one of ours. */
  markRevoked(jti: string): Promise<IssuedToken | undefined> {
    return this.#change(async () => {
      const found = this.#find(jti);
      if (!found) return undefined;
      if (found.revokedAt !== undefined) return toIssuedToken(found);
      const revoked: StoredToken = { ...found, revokedAt: this.#now().toISOString() };
      await this.#save(this.#tokens.map((entry) => (entry === found ? revoked : entry)));
      return toIssuedToken(revoked);
    });
  }

  #find(jti: string): StoredToken | undefined {
    const wanted = jti.toLowerCase();
    return this.#tokens.find((entry) => entry.jti.toLowerCase() === wanted);
  }

  /** The tokens without those expired longer ago than the retention. */
  #pruned(): StoredToken[] {
    const oldest = this.#now().getTime() - EXPIRED_TOKEN_RETENTION_MS;
    return this.#tokens.filter((entry) => Date.parse(entry.expiresAt) >= oldest);
  }

  async #save(tokens: StoredToken[]): Promise<void> {
    const text = `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`;
    await writeFileAtomic(this.#path, text, { mode: 0o600 });
    this.#tokens = tokens;
    this.#seen = await fileStamp(this.#path);
  }

  async #reloadIfChanged(): Promise<void> {
    const stamp = await fileStamp(this.#path);
    if (stamp === this.#seen) return;
    this.#tokens = stamp === undefined ? [] : await readRegistry(this.#path, this.#logger);
    this.#seen = stamp;
  }

  /** Runs `run` in the queue, holding the lock shared with other processes, on the list as it is on disk. */
  #change<T>(run: () => Promise<T>): Promise<T> {
    return this.#enqueue(async () => {
      await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
      return withStoreLock(
        dirname(this.#path),
        async () => {
          await this.#reloadIfChanged();
          return run();
        },
        {
          lockFile: `.${basename(this.#path)}.lock`,
          busyError: (lockFile, waitedMs) => new IssuedTokensBusyError(lockFile, waitedMs),
        },
      );
    });
  }

  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

/** The file's modification time and size, or undefined when there is none. */
async function fileStamp(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return `${info.mtimeMs}:${info.size}:${info.ino}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function toIssuedToken(stored: StoredToken): IssuedToken {
  return {
    jti: stored.jti,
    kind: stored.kind,
    host: stored.host,
    label: stored.label,
    device: stored.device,
    singleUse: stored.singleUse,
    issuedAt: stored.issuedAt,
    expiresAt: stored.expiresAt,
    revokedAt: stored.revokedAt,
  };
}

async function readRegistry(path: string, logger: Logger): Promise<StoredToken[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let problem: string;
  if (bytes.length > MAX_ISSUED_TOKENS_FILE_BYTES) {
    problem = `larger than ${MAX_ISSUED_TOKENS_FILE_BYTES} bytes`;
  } else {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      value = undefined;
    }
    const parsed = RegistryFileSchema.safeParse(value);
    if (parsed.success) return parsed.data.tokens;
    problem = value === undefined ? 'not valid JSON' : (parsed.error.issues[0]?.message ?? 'invalid');
  }
  const backupPath = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await copyFile(path, backupPath);
  logger.error('the issued-token list cannot be used; starting an empty one (revocations are unaffected)', {
    path,
    backupPath,
    problem,
  });
  return [];
}
