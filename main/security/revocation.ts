import { dirname, join } from 'node:path';
import { z } from 'zod';
import { withStoreLock } from '../certs/store-lock.ts';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { readJsonFile } from '../util/json-file.ts';
import { watchFile, type StopWatching } from '../util/watch-file.ts';
import { JrlClaimsSchema, MAX_JRL_VALUES, NIL_UUID, type JrlClaims, type RevocationSubject } from './tokens.ts';

export const JRL_FILE_NAME = 'jrl.json';
/**
 * The token ids revoked here (the UI, `homegate revoke`), beside the JRL file. A pushed JRL replaces only the
 * provisioner's list, never this set, so a `POST /jet/jrl` cannot make a locally revoked token work again.
 */
export const LOCAL_REVOCATIONS_FILE_NAME = 'revoked-local.json';
/** Held while a process reads, extends and saves the local set, so `homegate revoke` and `serve` lose nothing. */
const LOCAL_REVOCATIONS_LOCK_FILE = '.revoked-local.lock';
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

/** The local set is too big to add to even after forgetting expired tokens. */
export class LocalRevocationsFullError extends Error {
  override readonly name = 'LocalRevocationsFullError';
  constructor(readonly count: number) {
    super(`the local revocation set would hold ${count} token ids; at most ${MAX_JRL_VALUES}`);
  }
}

/** The lock on the local set is held by a process that does not let go. */
export class LocalRevocationsBusyError extends Error {
  override readonly name = 'LocalRevocationsBusyError';
  constructor(
    readonly lockFile: string,
    waitedMs: number,
  ) {
    super(
      `the local revocation set is locked by another homegate process (${lockFile}, waited ${waitedMs} ms). ` +
        'Try again; if no other homegate command is running, delete that file.',
    );
  }
}

const LocalRevocationsSchema = z.strictObject({ jti: z.array(z.string().min(1).max(128)).max(MAX_JRL_VALUES) });

/** What a change put in force, and where it came from. */
export interface RevocationChange {
  /** The provisioner's list (pushed with `POST /jet/jrl`) now in force. */
  readonly pushed: JrlClaims;
  readonly previous: JrlClaims;
  /** The token ids revoked locally, now in force. */
  readonly local: readonly string[];
  /** How many values are revoked now, both sets together. */
  readonly values: number;
  /** A pushed list (`api`), a local revocation in this process (`local`), or another process's edit (`file`). */
  readonly source: 'api' | 'local' | 'file';
  /** Who pushed the list (`api` only). */
  readonly client?: string;
}

export type RevocationListener = (change: RevocationChange) => void;

/**
 * What is revoked: the provisioner's JWT revocation list (claim name → revoked values, matched against every
 * token's claims) together with the token ids revoked locally, each saved in its own file. Only a list with a
 * newer `iat` replaces the provisioner's (so an old JRL token replayed cannot un-revoke anything); the local set
 * only grows, less tokens known to have expired. Both are saved atomically before they take effect, reloaded at
 * start, and followed when another process (`homegate revoke`) edits them.
 */
export class RevocationList {
  readonly #path: string;
  readonly #localPath: string;
  readonly #logger: Logger;
  #current: JrlClaims;
  #local: readonly string[];
  #index: ReadonlyMap<string, ReadonlySet<string>>;
  #listeners = new Set<RevocationListener>();
  #queue: Promise<unknown> = Promise.resolve();
  #stopWatching: StopWatching[] = [];

  private constructor(path: string, current: JrlClaims, local: readonly string[], logger: Logger) {
    this.#path = path;
    this.#localPath = join(dirname(path), LOCAL_REVOCATIONS_FILE_NAME);
    this.#logger = logger;
    this.#current = current;
    this.#local = local;
    this.#index = buildIndex(current, local);
  }

  /**
   * Loads the list saved at `path` (the empty list when there is none yet) and the local set beside it. A data
   * directory from before the local set kept local revocations in the JRL file: its token ids become the local set
   * once, so the next pushed list cannot drop them (failing closed: a provisioner cannot un-revoke those).
   */
  static async open(path: string, logger: Logger): Promise<RevocationList> {
    const loaded = await readJrlFile(path);
    const localPath = join(dirname(path), LOCAL_REVOCATIONS_FILE_NAME);
    let local = await readLocalFile(localPath);
    if (local === undefined) {
      local = [...new Set((loaded?.jrl.jti ?? []).map((value) => String(value).toLowerCase()))];
      await writeLocalFile(localPath, local);
    }
    return new RevocationList(path, loaded ?? EMPTY_JRL, local, logger);
  }

  get path(): string {
    return this.#path;
  }

  /** The provisioner's list in force (what `GET /jet/jrl` reports). */
  get current(): JrlClaims {
    return this.#current;
  }

  /** The token ids revoked locally. */
  get local(): readonly string[] {
    return this.#local;
  }

  /** Both sets as one list, dated as the provisioner's (what `homegate token jrl` extends). */
  get effective(): JrlClaims {
    const jti = [...new Set([...(this.#current.jrl.jti ?? []), ...this.#local])];
    return { ...this.#current, jrl: { ...this.#current.jrl, ...(jti.length > 0 ? { jti } : {}) } };
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
   * Saves the provisioner's list `next` atomically and puts it in force, if it is newer than the current one; else
   * throws `StaleJrlError`. The local set stays as it is. Replacements are serialised, so two pushes cannot
   * interleave their checks and writes. `client` (who pushed it) is passed on to the listeners.
   */
  replace(next: JrlClaims, origin: { readonly client?: string } = {}): Promise<void> {
    return this.#enqueue(async () => {
      const checked = JrlClaimsSchema.parse(next);
      if (checked.iat <= this.#current.iat) throw new StaleJrlError(checked.iat, this.#current.iat);
      await writeFileAtomic(this.#path, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
      this.#apply(checked, this.#local, { source: 'api', ...origin });
    });
  }

  /**
   * Revokes token ids (`jti`) locally: under a lock shared with other processes, re-reads the saved local set, adds
   * `jtis`, saves it and puts it in force, so a revocation made at the same time elsewhere (`homegate revoke`
   * beside the UI) is kept. `forget` drops listed ids that need no listing any more (tokens known to have
   * expired), which keeps the set within MAX_JRL_VALUES.
   */
  revokeTokenIds(jtis: readonly string[], options: { readonly forget?: (jti: string) => boolean } = {}): Promise<void> {
    return this.#enqueue(async () => {
      const dir = dirname(this.#localPath);
      const saved = await withStoreLock(
        dir,
        async () => {
          const onDisk = (await readLocalFile(this.#localPath)) ?? this.#local;
          const wanted = new Set(jtis.map((jti) => jti.toLowerCase()));
          const kept = onDisk.filter((jti) => wanted.has(jti) || !options.forget?.(jti));
          const listed = new Set(kept);
          const next = [...kept, ...[...wanted].filter((jti) => !listed.has(jti))];
          if (next.length > MAX_JRL_VALUES) throw new LocalRevocationsFullError(next.length);
          await writeLocalFile(this.#localPath, next);
          return next;
        },
        {
          lockFile: LOCAL_REVOCATIONS_LOCK_FILE,
          busyError: (lockFile, waitedMs) => new LocalRevocationsBusyError(lockFile, waitedMs),
        },
      );
      this.#apply(this.#current, saved, { source: 'local' });
    });
  }

  #enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Follows edits of both files by another process (`homegate revoke` while `serve` runs). */
  watch(): void {
    if (this.#stopWatching.length > 0) return;
    const follow = (path: string, what: string, reload: () => Promise<void>): StopWatching =>
      watchFile(
        path,
        () => {
          this.#queue = this.#queue.then(reload).catch(() => undefined);
        },
        { onError: (error) => this.#logger.warn(`cannot watch the ${what}`, { error }) },
      );
    this.#stopWatching = [
      follow(this.#path, 'revocation list', () => this.#reloadFromDisk()),
      follow(this.#localPath, 'local revocation set', () => this.#reloadLocalFromDisk()),
    ];
  }

  /**
   * Reads a file another process changed. One that cannot be used is logged and answers undefined, as a missing
   * one does, so what is in force stays: failing open would un-revoke tokens.
   */
  async #readChanged<T>(
    read: (path: string) => Promise<T | undefined>,
    path: string,
    problem: string,
  ): Promise<T | undefined> {
    try {
      return await read(path);
    } catch (error) {
      this.#logger.error(problem, { path, error });
      return undefined;
    }
  }

  close(): void {
    for (const stop of this.#stopWatching.splice(0)) stop();
    this.#listeners.clear();
  }

  async #reloadLocalFromDisk(): Promise<void> {
    const loaded = await this.#readChanged(
      readLocalFile,
      this.#localPath,
      'local revocation set changed but cannot be used; keeping the current set',
    );
    if (loaded === undefined || sameMembers(loaded, this.#local)) return;
    this.#apply(this.#current, loaded, { source: 'file' });
    this.#logger.info('local revocation set reloaded', { path: this.#localPath, values: loaded.length });
  }

  async #reloadFromDisk(): Promise<void> {
    const loaded = await this.#readChanged(
      readJrlFile,
      this.#path,
      'revocation list file changed but cannot be used; keeping the current list',
    );
    if (!loaded || loaded.iat === this.#current.iat) return;
    if (loaded.iat < this.#current.iat) {
      this.#logger.warn('revocation list file is older than the list in force; ignored', {
        path: this.#path,
        iat: loaded.iat,
        currentIat: this.#current.iat,
      });
      return;
    }
    this.#apply(loaded, this.#local, { source: 'file' });
    this.#logger.info('revocation list reloaded', { path: this.#path, jti: loaded.jti, iat: loaded.iat });
  }

  #apply(next: JrlClaims, local: readonly string[], origin: Pick<RevocationChange, 'source' | 'client'>): void {
    const previous = this.#current;
    this.#current = next;
    this.#local = local;
    this.#index = buildIndex(next, local);
    const change: RevocationChange = { pushed: next, previous, local, values: this.size, ...origin };
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error('revocation listener failed', { error });
      }
    }
  }
}

/** Reads and validates a saved list; undefined when the file does not exist. */
export function readJrlFile(path: string): Promise<JrlClaims | undefined> {
  return readJsonFile(path, {
    schema: JrlClaimsSchema,
    maxBytes: MAX_JRL_FILE_BYTES,
    fail: (problem) => new JrlFileError(path, problem),
  });
}

/** Reads and validates the local set; undefined when the file does not exist. Lower-cased, without repeats. */
async function readLocalFile(path: string): Promise<readonly string[] | undefined> {
  const set = await readJsonFile(path, {
    schema: LocalRevocationsSchema,
    maxBytes: MAX_JRL_FILE_BYTES,
    fail: (problem) => new JrlFileError(path, problem),
  });
  return set && [...new Set(set.jti.map((jti) => jti.toLowerCase()))];
}

function writeLocalFile(path: string, jti: readonly string[]): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify({ jti }, null, 2)}\n`, { mode: 0o600 });
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((value) => set.has(value));
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

function buildIndex(jrl: JrlClaims, local: readonly string[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  const lists: [string, readonly (string | number)[]][] = [...Object.entries(jrl.jrl), ['jti', local]];
  for (const [name, values] of lists) {
    const keys = index.get(name) ?? new Set<string>();
    for (const value of values) {
      const key = valueKey(value);
      if (key !== undefined) keys.add(key);
    }
    if (keys.size > 0) index.set(name, keys);
  }
  return index;
}
