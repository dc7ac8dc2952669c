import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateCertificates } from '../../../main/certs/certificate-store.ts';
import { KeyFileUnreadableError } from '../../../main/certs/errors.ts';
import {
  createSealedSecretCodec,
  sealPlainSecrets,
  type PlatformCipher,
} from '../../../main/certs/sealed-secret-codec.ts';
import { IDENTITY_SECRET_CODEC, SEALED_SECRET_PREFIX, SealedSecretError } from '../../../main/certs/secret-files.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { SIGNING_KEY_FILE, loadOrCreateSigningKey } from '../../../main/security/signing-key.ts';

/** A stand-in for safeStorage: AES-256-GCM with a key held in memory. */
function testCipher(): PlatformCipher {
  const key = randomBytes(32);
  return {
    encrypt: (plain) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt: (sealed) => {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
    },
  };
}

describe('sealed secrets (the desktop app’s OS keychain)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-sealed-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('seals with a marker, opens sealed and plain files alike', () => {
    const codec = createSealedSecretCodec(testCipher());
    const plain = Buffer.from('-----BEGIN PRIVATE KEY-----\n');
    const sealed = codec.seal(plain);
    assert.ok(sealed.subarray(0, SEALED_SECRET_PREFIX.length).equals(SEALED_SECRET_PREFIX));
    assert.ok(!sealed.includes(plain));
    assert.deepEqual(codec.open(sealed), plain);
    assert.deepEqual(codec.open(plain), plain, 'a key the CLI wrote plain still opens');
  });

  test('the CLI’s plain codec refuses a sealed file with a message that says why', () => {
    const sealed = createSealedSecretCodec(testCipher()).seal(Buffer.from('key'));
    assert.throws(() => IDENTITY_SECRET_CODEC.open(sealed), SealedSecretError);
    assert.throws(() => IDENTITY_SECRET_CODEC.open(sealed), /desktop app with the OS keychain/);
  });

  test('seals a data directory’s plain keys in place; the CLI then refuses them clearly', async () => {
    const paths = { keys: join(dir, 'keys'), tls: join(dir, 'tls') };
    const plainKey = await loadOrCreateSigningKey(paths.keys, { logger: silentLogger });
    await loadOrCreateCertificates(paths.tls, { publicNames: [], logger: silentLogger });
    const codec = createSealedSecretCodec(testCipher());

    const sealed = await sealPlainSecrets(paths, SIGNING_KEY_FILE, codec);
    assert.deepEqual(sealed.map((path) => path.slice(dir.length + 1)).sort(), [
      'keys/token-signing-key.json',
      'tls/ca-key.pem',
      'tls/server-key.pem',
    ]);
    assert.deepEqual(await sealPlainSecrets(paths, SIGNING_KEY_FILE, codec), [], 'nothing left to seal');
    for (const path of sealed) assert.doesNotMatch(await readFile(path, 'latin1'), /PRIVATE KEY|"d":/);

    // The app opens them with its codec and gets the same key.
    const reopened = await loadOrCreateSigningKey(paths.keys, { logger: silentLogger, secretCodec: codec });
    assert.equal(reopened.kid, plainKey.kid);
    await loadOrCreateCertificates(paths.tls, { publicNames: [], logger: silentLogger, secretCodec: codec });

    // The CLI (no codec) is told plainly; nothing is overwritten.
    const before = await readFile(join(paths.keys, SIGNING_KEY_FILE));
    await assert.rejects(loadOrCreateSigningKey(paths.keys, { logger: silentLogger }), (error: unknown) => {
      assert.ok(error instanceof KeyFileUnreadableError);
      assert.match(error.message, /encrypted by the Homegate desktop app/);
      return true;
    });
    await assert.rejects(loadOrCreateCertificates(paths.tls, { publicNames: [], logger: silentLogger }), /desktop app/);
    assert.deepEqual(await readFile(join(paths.keys, SIGNING_KEY_FILE)), before);
  });
});
