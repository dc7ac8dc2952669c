import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { watchFile, type StopWatching } from '../util/watch-file.ts';
import { JrlClaimsSchema, NIL_UUID, type JrlClaims, type RevocationSubject } from './tokens.ts';

export const JRL_FILE_NAME = 'jrl.json';
/** Larger than any list within MAX_JRL_VALUES; a bigger file is not ours. */
export const MAX_JRL_FILE_BYTES = 4 * 1024 * 1024;

/** The list in force before any JRL was received: revokes nothing (Devolutions reports the nil UUID and iat 0). */
export const EMPTY_JRL: JrlClaims = Object.freeze({ jti: NIL_UUID, iat: 0, jrl: {} });

/** The JRL file exists but cannot be used. The gateway refuses to start rather than forget what was revoked. */
export class JrlFileError extends Error {
  override readonly name = 'JrlFileError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(
      `the revocation list ${path} cannot be used: ${problem}. Restore it, or delete it to revoke nothing ` +
        '(every token revoked so far becomes usable again until it expires).',
    );
  }
}

/** A JRL that is not newer (`iat`) than the one in force; it is not applied. */
export class StaleJrlError extends Error {
  override readonly name = 'StaleJrlError';
  constructor(
    readonly offeredIat: number,
    readonly currentIat: number,
  ) {
    super(`the revocation list is not newer than the current one (iat ${offeredIat} ≤ ${currentIat})`);
  }
}

export type RevocationListener = (jrl: JrlClaims, previous: JrlClaims) => void;

/**
 * The JWT revocation list in force: claim name → revoked values, matched against every token's claims.
 * Only a list with a newer `iat` replaces it (so an old JRL token replayed cannot un-revoke anything). It is
 * saved atomically before it takes effect, reloaded at start, and followed when `homegate revoke` edits it.
 */
export class RevocationList {
  readonly #path: string;
  readonly #logger: Logger;
  #current: JrlClaims;
  #index: ReadonlyMap<string, ReadonlySet<string>>;
  #listeners = new Set<RevocationListener>();
  #queue: Promise<unknown> = Promise.resolve();
  #stopWatching: StopWatching | undefined;

  private constructor(path: string, current: JrlClaims, logger: Logger) {
    this.#path = path;
    this.#logger = logger;
    this.#current = current;
    this.#index = buildIndex(current);
  }

  /** Loads the list saved at `path`, or the empty list when there is none yet. */
  static async open(path: string, logger: Logger): Promise<RevocationList> {
    const loaded = await readJrlFile(path);
    return new RevocationList(path, loaded ?? EMPTY_JRL, logger);
  }

  get path(): string {
    return this.#path;
  }

  get current(): JrlClaims {
    return this.#current;
  }

  /** How many values the list revokes, over all claims. */
  get size(): number {
    let total = 0;
    for (const values of this.#index.values()) total += values.size;
    return total;
  }

  /** True when any claim of `claims` has a value the list revokes under that claim's name. */
  isRevoked(claims: RevocationSubject): boolean {
    for (const [name, values] of this.#index) {
      const key = valueKey(claims[name]);
      if (key !== undefined && values.has(key)) return true;
    }
    return false;
  }

  onChange(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Saves `next` atomically and puts it in force, if it is newer than the current list; else throws
   * `StaleJrlError`. Replacements are serialised, so two pushes cannot interleave their checks and writes.
   */
  replace(next: JrlClaims): Promise<void> {
    return this.#enqueue(() => this.#save(next));
  }

  /**
   * Revokes token ids (`jti`): saves and puts in force a new list, dated after the current one, holding its values
   * plus `jtis`. It runs in the same queue as `replace`, so two revocations at once cannot lose one another.
   * `forget` drops listed ids that need no listing any more (tokens known to have expired), which keeps the list
   * within MAX_JRL_VALUES. Answers the list now in force.
   */
  revokeTokenIds(
    jtis: readonly string[],
    options: { readonly forget?: (jti: string) => boolean; readonly now?: Date } = {},
  ): Promise<JrlClaims> {
    return this.#enqueue(async () => {
      const current = this.#current;
      const jrl: Record<string, (string | number)[]> = Object.fromEntries(
        Object.entries(current.jrl).map(([name, values]) => [name, [...values]]),
      );
      const wanted = new Set(jtis.map((jti) => jti.toLowerCase()));
      const kept = (jrl.jti ?? []).filter(
        (value) => wanted.has(String(value).toLowerCase()) || !options.forget?.(String(value)),
      );
      const listed = new Set(kept.map((value) => String(value).toLowerCase()));
      jrl.jti = [...kept, ...[...wanted].filter((jti) => !listed.has(jti))];
      if (jrl.jti.length === 0) delete jrl.jti;
      const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
      await this.#save({ jti: randomUUID(), iat: Math.max(nowSeconds, current.iat + 1), jrl });
      return this.#current;
    });
  }

  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #save(next: JrlClaims): Promise<void> {
    const checked = JrlClaimsSchema.parse(next);
    if (checked.iat <= this.#current.iat) throw new StaleJrlError(checked.iat, this.#current.iat);
    await writeFileAtomic(this.#path, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
    this.#apply(checked);
  }

  /** Follows edits of the file by another process (`homegate revoke` while `serve` runs). */
  watch(): void {
    this.#stopWatching ??= watchFile(this.#path, () => {
      this.#queue = this.#queue.then(() => this.#reloadFromDisk()).catch(() => undefined);
    });
  }

  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#listeners.clear();
  }

  async #reloadFromDisk(): Promise<void> {
    let loaded: JrlClaims | undefined;
    try {
      loaded = await readJrlFile(this.#path);
    } catch (error) {
      // Keep the list in force: failing open would un-revoke tokens.
      this.#logger.error('revocation list file changed but cannot be used; keeping the current list', {
        path: this.#path,
        error,
      });
      return;
    }
    if (!loaded || loaded.iat === this.#current.iat) return;
    if (loaded.iat < this.#current.iat) {
      this.#logger.warn('revocation list file is older than the list in force; ignored', {
        path: this.#path,
        iat: loaded.iat,
        currentIat: this.#current.iat,
      });
      return;
    }
    this.#apply(loaded);
    this.#logger.info('revocation list reloaded', { path: this.#path, jti: loaded.jti, iat: loaded.iat });
  }

  #apply(next: JrlClaims): void {
    const previous = this.#current;
    this.#current = next;
    this.#index = buildIndex(next);
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.#logger.error('revocation listener failed', { error });
      }
    }
  }
}

/** Reads and validates a saved list; undefined when the file does not exist. */
export async function readJrlFile(path: string): Promise<JrlClaims | undefined> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_JRL_FILE_BYTES) throw new JrlFileError(path, `larger than ${MAX_JRL_FILE_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof JrlFileError) throw error;
    throw new JrlFileError(path, (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JrlFileError(path, 'not valid JSON');
  }
  const parsed = JrlClaimsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JrlFileError(path, `${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim());
  }
  return parsed.data;
}

/**
 * Claim values compare as JSON scalars; strings without regard to case, since the values that matter (jti,
 * jet_aid) are UUIDs, which are case-insensitive.
 */
function valueKey(value: unknown): string | undefined {
  if (typeof value === 'string') return `s:${value.toLowerCase()}`;
  if (typeof value === 'number') return `n:${value}`;
  return undefined;
}

function buildIndex(jrl: JrlClaims): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const [name, values] of Object.entries(jrl.jrl)) {
    const keys = new Set<string>();
    for (const value of values) {
      const key = valueKey(value);
      if (key !== undefined) keys.add(key);
    }
    if (keys.size > 0) index.set(name, keys);
  }
  return index;
}
