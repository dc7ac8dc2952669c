import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CertificateStoreBusyError } from './errors.ts';

/** The lock file inside the certificate folder. */
export const LOCK_FILE = '.lock';
/** Give up waiting for the lock after this long. */
export const LOCK_TIMEOUT_MS = 10_000;
/**
 * A lock older than this is taken to be left by a process that died holding it. Every holder only reads and
 * writes a few small files (an EC key is generated in milliseconds), so a live holder never gets near it.
 */
export const STALE_LOCK_MS = 30_000;
const RETRY_MS = 25;

export interface LockOptions {
  readonly timeoutMs?: number;
  readonly staleMs?: number;
  /** The lock file's name inside `dir` (LOCK_FILE unless given). */
  readonly lockFile?: string;
  /** What to throw when the lock stays held (the certificate folder's error unless given). */
  readonly busyError?: (lockFile: string, waitedMs: number) => Error;
}

/**
 * Runs `body` while holding the certificate folder's lock (an exclusively created file), so that a CLI
 * command (import, regenerate, use-local) and a running gateway (renewal, hot reload) never see or write
 * half of a certificate/key pair. Works across processes and across async calls in one process.
 */
export async function withStoreLock<T>(dir: string, body: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const path = join(dir, options.lockFile ?? LOCK_FILE);
  const busyError = options.busyError ?? ((lockFile, waitedMs) => new CertificateStoreBusyError(lockFile, waitedMs));
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS;
  const staleMs = options.staleMs ?? STALE_LOCK_MS;
  const started = Date.now();
  const token = `${process.pid} ${started} ${Math.random()}`;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await removeIfStale(path, staleMs)) continue;
    if (Date.now() - started >= timeoutMs) throw busyError(path, Date.now() - started);
    await delay(RETRY_MS);
  }
  try {
    return await body();
  } finally {
    // Only remove our own lock: if it was judged stale and taken over, the file is someone else's now.
    const content = await readFile(path, 'utf8').catch(() => undefined);
    if (content === token) await rm(path, { force: true });
  }
}

async function removeIfStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const info = await stat(path);
    if (Date.now() - info.mtimeMs < staleMs) return false;
    await rm(path, { force: true });
    return true;
  } catch (error) {
    // Released between our attempt and the stat: try again at once.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}
