import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { KeyFileCorruptError, KeyFileUnreadableError, KeyMismatchError } from '../../../main/certs/errors.ts';
import type { SecretCodec } from '../../../main/certs/secret-files.ts';
import { createLogger, silentLogger, type Logger } from '../../../main/logging/logger.ts';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE } from '../../../main/security/signing-key.ts';

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

describe('loadOrCreateSigningKey', () => {
  let root: string;
  let dir: string;
  let file: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-signing-key-'));
    dir = join(root, 'keys');
    file = join(dir, SIGNING_KEY_FILE);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function fileState(): Promise<{ content: string; mtimeMs: number }> {
    return { content: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs };
  }

  it('creates an Ed25519 key once, in a 0600 file in a 0700 directory', posixOnly, async () => {
    const lines: string[] = [];
    const logger: Logger = createLogger({ write: (line) => lines.push(line) });
    const key = await loadOrCreateSigningKey(dir, { logger });

    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(key.alg, 'EdDSA');
    assert.equal(key.privateKey.extractable, false);
    assert.equal(key.privateKey.type, 'private');
    assert.equal(key.publicKey.type, 'public');

    const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(stored.kty, 'OKP');
    assert.equal(stored.crv, 'Ed25519');
    assert.equal(typeof stored.d, 'string');
    assert.equal(stored.kid, key.kid);

    // The log names the key but never holds its private part.
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.includes(key.kid));
    assert.ok(!lines[0]?.includes(stored.d as string));
  });

  it('reloads the same key with the same kid, without rewriting the file', async () => {
    const first = await loadOrCreateSigningKey(dir, { logger: silentLogger });
    const before = await fileState();
    const second = await loadOrCreateSigningKey(dir, { logger: silentLogger });
    assert.equal(second.kid, first.kid);
    assert.deepEqual(second.publicJwk, first.publicJwk);
    assert.deepEqual(await fileState(), before);
  });

  it('uses the RFC 7638 thumbprint as kid and publishes only the public part', async () => {
    const key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
    assert.equal(key.kid, await calculateJwkThumbprint(key.publicJwk));
    assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(Object.keys(key.publicJwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(key.publicJwk.use, 'sig');
    assert.equal(key.publicJwk.alg, 'EdDSA');
    assert.ok(Object.isFrozen(key.publicJwk));
  });

  it('signs a JWT that verifies with the public JWK', async () => {
    const key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

    assert.equal(decodeProtectedHeader(token).kid, key.kid);
    const viaJwk = await jwtVerify(token, await importJWK(key.publicJwk), { algorithms: ['EdDSA'] });
    assert.equal(viaJwk.payload.sub, 'alice');
    const viaSet = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }));
    assert.equal(viaSet.payload.sub, 'alice');
    await jwtVerify(token, key.publicKey);

    // A key from another gateway must not verify it.
    const other = await loadOrCreateSigningKey(join(root, 'other'), { logger: silentLogger });
    await assert.rejects(jwtVerify(token, other.publicKey), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('fails clearly on a corrupt file and leaves it untouched', async () => {
    await loadOrCreateSigningKey(dir, { logger: silentLogger });
    await writeFile(file, '{"kty":"OKP","crv":"Ed25519",', { mode: 0o600 });
    const before = await fileState();
    await assert.rejects(loadOrCreateSigningKey(dir, { logger: silentLogger }), (error: unknown) => {
      assert.ok(error instanceof KeyFileCorruptError);
      assert.equal(error.code, 'ERR_KEY_FILE_CORRUPT');
      assert.equal(error.file, file);
      assert.ok(error.message.includes(file) && error.message.includes('not valid JSON'), error.message);
      return true;
    });
    assert.deepEqual(await fileState(), before);
  });

  for (const [label, edit, expected] of [
    ['an empty file', () => '', /not valid JSON/],
    ['a JSON array', () => '[]', /expected a JSON object/],
    ['an RSA JWK', () => JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }), /expected an Ed25519 key/],
    ['a short "d"', (jwk: Record<string, unknown>) => JSON.stringify({ ...jwk, d: 'AAAA' }), /"d" must be 32 bytes/],
    ['a wrong "kid"', (jwk: Record<string, unknown>) => JSON.stringify({ ...jwk, kid: 'x' }), /"kid" is not the JWK/],
    ['a wrong "alg"', (jwk: Record<string, unknown>) => JSON.stringify({ ...jwk, alg: 'ES256' }), /"alg" must be/],
  ] as const) {
    it(`rejects ${label}`, async () => {
      await loadOrCreateSigningKey(dir, { logger: silentLogger });
      const jwk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      await writeFile(file, edit(jwk));
      const before = await fileState();
      await assert.rejects(
        loadOrCreateSigningKey(dir, { logger: silentLogger }),
        (error: unknown) => error instanceof KeyFileCorruptError && expected.test(error.message),
      );
      assert.deepEqual(await fileState(), before);
    });
  }

  it('detects a public key that does not belong to the private key', async () => {
    await loadOrCreateSigningKey(dir, { logger: silentLogger });
    const jwk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const otherX = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x;
    // Without "kid", so that the mismatch is what the load trips on.
    await writeFile(file, JSON.stringify({ kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: otherX }));
    await assert.rejects(loadOrCreateSigningKey(dir, { logger: silentLogger }), KeyMismatchError);
  });

  it('accepts a hand-made private JWK without kid, alg or use', async () => {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    await loadOrCreateSigningKey(dir, { logger: silentLogger });
    await writeFile(file, JSON.stringify(jwk));
    const key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
    assert.equal(key.publicJwk.x, jwk.x);
    assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }));
  });

  it('seals the file with the secret codec', async () => {
    const codec: SecretCodec = {
      seal: (plain) => Buffer.from(plain.toString('utf8').split('').reverse().join('')),
      open: (stored) => Buffer.from(stored.toString('utf8').split('').reverse().join('')),
    };
    const first = await loadOrCreateSigningKey(dir, { logger: silentLogger, secretCodec: codec });
    const onDisk = await readFile(file, 'utf8');
    assert.ok(!onDisk.startsWith('{'));
    const second = await loadOrCreateSigningKey(dir, { logger: silentLogger, secretCodec: codec });
    assert.equal(second.kid, first.kid);

    const failing: SecretCodec = {
      seal: (plain) => codec.seal(plain),
      open: () => {
        throw new Error('wrong machine');
      },
    };
    await assert.rejects(
      loadOrCreateSigningKey(dir, { logger: silentLogger, secretCodec: failing }),
      KeyFileUnreadableError,
    );
    assert.equal(await readFile(file, 'utf8'), onDisk);
  });
});
