/**
 * One-time download links (`/download/<code>`): a phone scans a QR code and gets one .rdp file with a device token
 * of its own, without signing in anywhere. The code is the only credential, so it is random (256 bits, base64url),
 * lives ten minutes, works once, and only its SHA-256 is kept (in memory: a restart forgets every link, which only
 * means scanning a new one). At most MAX_OUTSTANDING_DOWNLOAD_LINKS links wait to be used at once.
 *
 * A used or expired link is remembered a while longer (bounded), so its second fetch is told "already used" or
 * "expired" rather than "no such link". The audit log names a link by `linkId`, the first 12 hex digits of the
 * hash: enough to follow one link from issue to use, nothing that opens it.
 */
import { createHash, randomBytes } from 'node:crypto';

export const DOWNLOAD_PATH_PREFIX = '/download/';
/** How long a link may wait for its one use. */
export const DOWNLOAD_LINK_TTL_MS = 10 * 60_000;
/** Links issued and not yet used nor expired, at most. */
export const MAX_OUTSTANDING_DOWNLOAD_LINKS = 8;
/** Used and expired links are remembered this long after they stopped working, at most MAX_SPENT_LINKS of them. */
export const SPENT_LINK_MEMORY_MS = 24 * 60 * 60_000;
export const MAX_SPENT_LINKS = 256;
const CODE_BYTES = 32;
/** base64url of CODE_BYTES bytes, no padding. */
const CODE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const LINK_ID_HEX_DIGITS = 12;

/** What a link downloads: an .rdp file for `host` with a device token for `device`, living `ttlSeconds`. */
export interface DownloadGrant {
  readonly host: string;
  readonly device: string;
  readonly ttlSeconds: number;
}

export interface IssuedDownloadLink {
  /** The secret: goes in the URL, never stored or logged. */
  readonly code: string;
  /** The start of the code's hash, for the audit log. */
  readonly linkId: string;
  readonly expiresAtMs: number;
}

export type DownloadTake =
  | { readonly outcome: 'ok'; readonly linkId: string; readonly grant: DownloadGrant }
  | { readonly outcome: 'used' | 'expired'; readonly linkId: string; readonly grant: DownloadGrant }
  | { readonly outcome: 'unknown'; readonly linkId: string | undefined };

export class DownloadLinkLimitError extends Error {
  override readonly name = 'DownloadLinkLimitError';
}

interface Entry {
  readonly grant: DownloadGrant;
  readonly linkId: string;
  readonly expiresAtMs: number;
  usedAtMs: number | undefined;
}

const hashOf = (code: string): string => createHash('sha256').update(code, 'utf8').digest('hex');

export class DownloadLinks {
  /** By the code's SHA-256 (hex), oldest first. */
  readonly #links = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxOutstanding: number;

  constructor(options: { now?: () => number; ttlMs?: number; maxOutstanding?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? DOWNLOAD_LINK_TTL_MS;
    this.#maxOutstanding = options.maxOutstanding ?? MAX_OUTSTANDING_DOWNLOAD_LINKS;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Links that can still be used. */
  get outstanding(): number {
    this.#prune();
    let count = 0;
    for (const entry of this.#links.values()) if (this.#usable(entry)) count += 1;
    return count;
  }

  /** A new link for `grant`; throws DownloadLinkLimitError while MAX_OUTSTANDING_DOWNLOAD_LINKS wait. */
  issue(grant: DownloadGrant): IssuedDownloadLink {
    if (this.outstanding >= this.#maxOutstanding) {
      throw new DownloadLinkLimitError(
        `${this.#maxOutstanding} download links are waiting to be used; use one or wait until they expire`,
      );
    }
    const code = randomBytes(CODE_BYTES).toString('base64url');
    const hash = hashOf(code);
    const linkId = hash.slice(0, LINK_ID_HEX_DIGITS);
    const expiresAtMs = this.#now() + this.#ttlMs;
    this.#links.set(hash, { grant: { ...grant }, linkId, expiresAtMs, usedAtMs: undefined });
    return { code, linkId, expiresAtMs };
  }

  /** Uses the link `code` names: `ok` once, then `used`; `expired` after its time; `unknown` for anything else. */
  take(code: string): DownloadTake {
    this.#prune();
    if (!CODE_PATTERN.test(code)) return { outcome: 'unknown', linkId: undefined };
    const hash = hashOf(code);
    const entry = this.#links.get(hash);
    if (!entry) return { outcome: 'unknown', linkId: hash.slice(0, LINK_ID_HEX_DIGITS) };
    const { linkId, grant } = entry;
    if (entry.usedAtMs !== undefined) return { outcome: 'used', linkId, grant };
    if (this.#now() >= entry.expiresAtMs) return { outcome: 'expired', linkId, grant };
    entry.usedAtMs = this.#now();
    return { outcome: 'ok', linkId, grant };
  }

  #usable(entry: Entry): boolean {
    return entry.usedAtMs === undefined && this.#now() < entry.expiresAtMs;
  }

  /** Forgets spent links after SPENT_LINK_MEMORY_MS, and the oldest spent ones beyond MAX_SPENT_LINKS. */
  #prune(): void {
    const now = this.#now();
    let spent = 0;
    for (const [hash, entry] of this.#links) {
      if (this.#usable(entry)) continue;
      if ((entry.usedAtMs ?? entry.expiresAtMs) + SPENT_LINK_MEMORY_MS <= now) this.#links.delete(hash);
      else spent += 1;
    }
    for (const [hash, entry] of this.#links) {
      if (spent <= MAX_SPENT_LINKS) break;
      if (this.#usable(entry)) continue;
      this.#links.delete(hash);
      spent -= 1;
    }
  }
}
