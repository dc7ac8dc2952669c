import { open } from 'node:fs/promises';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { KeyFileUnreadableError } from './errors.ts';

/**
 * Encryption at rest for private key files. The Electron app plugs in `safeStorage` here; the headless
 * gateway uses the identity codec and relies on file modes (0600 in a 0700 directory).
 */
export interface SecretCodec {
  /** Turns the plain file content into what is written to disk. */
  seal(plain: Buffer): Buffer;
  /** Inverse of `seal`; throws when `stored` cannot be opened (wrong machine, tampered...). */
  open(stored: Buffer): Buffer;
}

/**
 * What a sealed file starts with (then the platform's ciphertext). A marker, so that a process without the key
 * (the CLI, next to the desktop app) says plainly why it cannot read the file instead of calling it corrupt.
 */
export const SEALED_SECRET_PREFIX = Buffer.from('homegate-sealed:v1\n', 'ascii');

/** The file was sealed by the desktop app with the OS keychain, which this process cannot use. */
export class SealedSecretError extends Error {
  override readonly name = 'SealedSecretError';
  constructor() {
    super(
      'it was encrypted by the Homegate desktop app with the OS keychain, which the command line cannot use; ' +
        'run the gateway from the app, or give the command line its own --data-dir',
    );
  }
}

export function isSealedSecret(stored: Buffer): boolean {
  return (
    stored.length >= SEALED_SECRET_PREFIX.length &&
    stored.subarray(0, SEALED_SECRET_PREFIX.length).equals(SEALED_SECRET_PREFIX)
  );
}

/** Plain files (0600 in a 0700 directory); a file the desktop app sealed is refused with `SealedSecretError`. */
export const IDENTITY_SECRET_CODEC: SecretCodec = Object.freeze({
  seal: (plain: Buffer): Buffer => plain,
  open: (stored: Buffer): Buffer => {
    if (isSealedSecret(stored)) throw new SealedSecretError();
    return stored;
  },
});

/** Mode of files that hold a private key. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of files that hold only public material (certificates). */
export const PUBLIC_FILE_MODE = 0o644;

/**
 * Reads a file that may not exist yet: `undefined` when it is absent, its bytes otherwise.
 * Any other failure (permissions, a directory in its place) is an error naming the file: treating it as
 * absent would make the caller create a new key over one that is only temporarily unreadable.
 */
export async function readOptionalFile(path: string): Promise<{ data: Buffer; mode: number } | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw new KeyFileUnreadableError(path, describeErrno(error), error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KeyFileUnreadableError(path, 'it is not a regular file');
    return { data: await handle.readFile(), mode: stats.mode & 0o777 };
  } catch (error) {
    if (error instanceof KeyFileUnreadableError) throw error;
    throw new KeyFileUnreadableError(path, describeErrno(error), error);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a private key file and opens it with the codec; `undefined` when absent.
 * Warns when the file is readable by others: the key may already have leaked, so it is worth telling.
 */
export async function readOptionalSecretFile(
  path: string,
  codec: SecretCodec,
  logger: Logger,
): Promise<Buffer | undefined> {
  const file = await readOptionalFile(path);
  if (file === undefined) return undefined;
  if (process.platform !== 'win32' && (file.mode & 0o077) !== 0) {
    logger.warn('private key file is accessible to other users', { file: path, mode: file.mode.toString(8) });
  }
  try {
    return codec.open(file.data);
  } catch (error) {
    const detail = error instanceof SealedSecretError ? error.message : 'the secret codec could not decrypt it';
    throw new KeyFileUnreadableError(path, detail, error);
  }
}

export async function writeSecretFile(path: string, plain: Buffer, codec: SecretCodec): Promise<void> {
  await writeFileAtomic(path, codec.seal(plain), { mode: PRIVATE_FILE_MODE });
}

export async function writePublicFile(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { mode: PUBLIC_FILE_MODE });
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function describeErrno(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code} (${error.message})`;
  }
  return String(error);
}
