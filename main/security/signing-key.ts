import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { KeyFileCorruptError, KeyMismatchError } from '../certs/errors.ts';
import {
  IDENTITY_SECRET_CODEC,
  readOptionalSecretFile,
  writeSecretFile,
  type SecretCodec,
} from '../certs/secret-files.ts';
import type { Logger } from '../logging/logger.ts';
import { ensurePrivateDir } from '../util/fs-atomic.ts';

export const SIGNING_KEY_FILE = 'token-signing-key.json';
/**
 * Ed25519 (JWS "EdDSA"): 64-byte signatures and 32-byte keys keep tokens short, and tokens end up in .rdp
 * files that users copy around.
 */
export const SIGNING_KEY_ALG = 'EdDSA';

/** The gateway's token signing key. `privateKey` is non-extractable; pass it to jose's `SignJWT.sign`. */
export interface SigningKey {
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key; put it in the JWS header. */
  readonly kid: string;
  readonly alg: typeof SIGNING_KEY_ALG;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`; safe to publish. */
  readonly publicJwk: Readonly<JWK>;
}

export interface LoadOrCreateSigningKeyOptions {
  logger: Logger;
  /** Applied to the key file (encryption at rest); identity by default. */
  secretCodec?: SecretCodec;
}

/** What the key file holds: a private OKP JWK, plus the metadata we derive from it. */
interface StoredSigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid?: string;
  alg?: string;
  use?: string;
}

const ED25519_KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const REMEDY =
  'restore it from a backup, or delete it to create a new signing key (every token issued so far becomes invalid).';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Loads the token signing key from `dir`/token-signing-key.json, creating it (0600, in a 0700 directory)
 * on first use. A file that cannot be read, decrypted or understood is an error naming it and is never
 * overwritten: replacing the key would silently invalidate every token already handed out.
 */
export async function loadOrCreateSigningKey(dir: string, options: LoadOrCreateSigningKeyOptions): Promise<SigningKey> {
  const { logger } = options;
  const codec = options.secretCodec ?? IDENTITY_SECRET_CODEC;
  const file = join(dir, SIGNING_KEY_FILE);
  await ensurePrivateDir(dir);

  const stored = await readOptionalSecretFile(file, codec, logger);
  if (stored !== undefined) {
    const key = await parseSigningKey(file, stored);
    logger.debug('loaded token signing key', { file, kid: key.kid });
    return key;
  }

  const { privateKey } = await generateKeyPairAsync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
  const content: StoredSigningJwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    x: requireString(jwk.x),
    d: requireString(jwk.d),
    kid,
    alg: SIGNING_KEY_ALG,
    use: 'sig',
  };
  const text = Buffer.from(`${JSON.stringify(content, null, 2)}\n`);
  // Parse what we are about to write, so that the first run and every later run use the same path.
  const key = await parseSigningKey(file, text);
  await writeSecretFile(file, text, codec);
  logger.info('created token signing key', { file, kid: key.kid, alg: SIGNING_KEY_ALG });
  return key;
}

async function parseSigningKey(file: string, data: Buffer): Promise<SigningKey> {
  const jwk = parseStoredJwk(file, data);

  let privateKeyObject: KeyObject;
  try {
    privateKeyObject = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, format: 'jwk' });
  } catch (error) {
    throw new KeyFileCorruptError(file, 'not a usable Ed25519 private key', REMEDY, error);
  }
  // The public half is derived from `d`, so a stored `x` that does not belong to it means tampering or a
  // bad edit: tokens would be signed with one key and verified with another.
  const derivedX = createPublicKey(privateKeyObject).export({ format: 'jwk' }).x;
  if (derivedX !== jwk.x) throw new KeyMismatchError(file, `the public key "x" in ${file}`, REMEDY);

  const publicJwkBase = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  const kid = await calculateJwkThumbprint(publicJwkBase);
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new KeyFileCorruptError(file, `"kid" is not the JWK thumbprint of the key (expected ${kid})`, REMEDY);
  }

  const privateKey = await importJWK({ ...publicJwkBase, d: jwk.d }, SIGNING_KEY_ALG, { extractable: false });
  const publicKey = await importJWK(publicJwkBase, SIGNING_KEY_ALG, { extractable: true });
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new KeyFileCorruptError(file, 'expected an asymmetric key', REMEDY);
  }
  const publicJwk: JWK = Object.freeze({ ...publicJwkBase, kid, alg: SIGNING_KEY_ALG, use: 'sig' });
  return Object.freeze({ kid, alg: SIGNING_KEY_ALG, privateKey, publicKey, publicJwk });
}

function parseStoredJwk(file: string, data: Buffer): StoredSigningJwk {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new KeyFileCorruptError(file, 'not valid JSON', REMEDY, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeyFileCorruptError(file, 'expected a JSON object (a private JWK)', REMEDY);
  }
  const record = value as Record<string, unknown>;
  if (record.kty !== 'OKP' || record.crv !== 'Ed25519') {
    throw new KeyFileCorruptError(file, 'expected an Ed25519 key ("kty": "OKP", "crv": "Ed25519")', REMEDY);
  }
  const x = keyMember(file, record, 'x');
  const d = keyMember(file, record, 'd');
  const kid = optionalString(file, record, 'kid');
  const alg = optionalString(file, record, 'alg');
  const use = optionalString(file, record, 'use');
  if (alg !== undefined && alg !== SIGNING_KEY_ALG) {
    throw new KeyFileCorruptError(file, `"alg" must be "${SIGNING_KEY_ALG}"`, REMEDY);
  }
  if (use !== undefined && use !== 'sig') throw new KeyFileCorruptError(file, '"use" must be "sig"', REMEDY);
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    d,
    ...(kid === undefined ? {} : { kid }),
    ...(alg === undefined ? {} : { alg }),
    ...(use === undefined ? {} : { use }),
  };
}

/** A base64url member that decodes to exactly one Ed25519 key (32 bytes). */
function keyMember(file: string, record: Record<string, unknown>, name: 'x' | 'd'): string {
  const value = record[name];
  if (
    typeof value !== 'string' ||
    !BASE64URL.test(value) ||
    Buffer.from(value, 'base64url').length !== ED25519_KEY_BYTES
  ) {
    throw new KeyFileCorruptError(file, `"${name}" must be ${ED25519_KEY_BYTES} bytes of base64url`, REMEDY);
  }
  return value;
}

function optionalString(file: string, record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new KeyFileCorruptError(file, `"${name}" must be a string`, REMEDY);
}

function requireString(value: string | undefined): string {
  if (value === undefined) throw new TypeError('node did not export an Ed25519 JWK member');
  return value;
}
