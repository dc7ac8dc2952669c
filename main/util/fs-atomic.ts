import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the result; 0o600 for anything secret. */
  mode?: number;
}

/**
 * Writes `data` to `path` so that readers see either the old or the new content, never a torn file:
 * write a sibling temporary file, fsync it, rename it over the target, then fsync the directory so the rename
 * itself survives a power cut.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed or widened nothing, but an explicit chmod makes the mode exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** Codes from platforms where a directory cannot be opened or synced (Windows: EISDIR, EPERM). */
const UNSYNCABLE_DIRECTORY = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP']);

/** Flushes a directory's entries (a rename) to disk where the platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!UNSYNCABLE_DIRECTORY.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a file only its owner may read (an exported .rdp carries an access token). The mode is set every time:
 * `writeFile`'s mode applies only when it creates the file, so a file that already existed readable by others
 * would stay so.
 */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Creates a directory readable only by its owner (keys and certificates live in one). */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}
