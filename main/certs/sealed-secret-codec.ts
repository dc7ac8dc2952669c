/**
 * Sealing private key files with a platform cipher (the desktop app passes Electron's `safeStorage`, backed by the
 * OS keychain). Sealed files carry SEALED_SECRET_PREFIX, so plain files written by the CLI are still read (and can
 * be sealed in place), and the CLI recognises a sealed file and says so.
 */
import { join } from 'node:path';
import { CA_KEY_FILE, IMPORTED_KEY_FILE, SERVER_KEY_FILE } from './certificate-store.ts';
import {
  SEALED_SECRET_PREFIX,
  isSealedSecret,
  readOptionalFile,
  writeSecretFile,
  type SecretCodec,
} from './secret-files.ts';
import { withStoreLock } from './store-lock.ts';

/** Encrypts and decrypts bytes with a key the platform keeps (never on disk next to the files). */
export interface PlatformCipher {
  encrypt(plain: Buffer): Buffer;
  decrypt(sealed: Buffer): Buffer;
}

export function createSealedSecretCodec(cipher: PlatformCipher): SecretCodec {
  return {
    seal: (plain) => Buffer.concat([SEALED_SECRET_PREFIX, cipher.encrypt(plain)]),
    // A file without the prefix was written plain (by the CLI, or before sealing was available): read it as it is.
    open: (stored) => (isSealedSecret(stored) ? cipher.decrypt(stored.subarray(SEALED_SECRET_PREFIX.length)) : stored),
  };
}

/**
 * Seals, in place, the private key files of a data directory that are still plain; answers the files sealed.
 * TLS keys are rewritten under the certificate folder's lock, like every other writer of that folder.
 */
export async function sealPlainSecrets(
  paths: { readonly keys: string; readonly tls: string },
  signingKeyFile: string,
  codec: SecretCodec,
): Promise<string[]> {
  const sealed: string[] = [];
  const sealFile = async (path: string): Promise<void> => {
    const file = await readOptionalFile(path);
    if (file === undefined || isSealedSecret(file.data)) return;
    await writeSecretFile(path, file.data, codec);
    sealed.push(path);
  };
  await sealFile(join(paths.keys, signingKeyFile));
  const tlsFiles = [CA_KEY_FILE, SERVER_KEY_FILE, IMPORTED_KEY_FILE].map((name) => join(paths.tls, name));
  if ((await Promise.all(tlsFiles.map(readOptionalFile))).some((file) => file && !isSealedSecret(file.data))) {
    await withStoreLock(paths.tls, async () => {
      for (const path of tlsFiles) await sealFile(path);
    });
  }
  return sealed;
}
