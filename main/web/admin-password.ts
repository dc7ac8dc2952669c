/**
 * The web admin page's password, stored as an scrypt hash (per-password salt and parameters) in a 0600 file of the
 * data directory. The password itself is never stored, logged or accepted on a command line.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { readJsonFile } from '../util/json-file.ts';

export const ADMIN_PASSWORD_FILE_NAME = 'admin-password.json';
export const MIN_ADMIN_PASSWORD_CHARS = 12;
export const MAX_ADMIN_PASSWORD_CHARS = 1024;
/** Bytes of randomness in a generated password: 144 bits, 24 base64url characters. */
export const GENERATED_PASSWORD_BYTES = 18;
const SALT_BYTES = 16;
const MAX_PASSWORD_FILE_BYTES = 16 * 1024;

export interface ScryptParameters {
  /** CPU/memory cost (a power of two). */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
}

/**
 * OWASP's scrypt row for 32 MiB of memory (N=2^15, r=8, p=3): about as costly to guess as their 128 MiB row, at a
 * quarter of the memory per login. Stored with each hash, so raising them later leaves old hashes verifiable.
 */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = Object.freeze({ N: 2 ** 15, r: 8, p: 3, keyLength: 32 });

const PowerOfTwo = z
  .number()
  .int()
  .min(2 ** 10)
  .max(2 ** 20)
  .refine((n) => (n & (n - 1)) === 0, { message: 'must be a power of two' });
const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

/** The file: bounded parameters, so a tampered file cannot make a login allocate gigabytes. */
const PasswordRecordSchema = z
  .object({
    version: z.literal(1),
    algorithm: z.literal('scrypt'),
    N: PowerOfTwo,
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    keyLength: z.number().int().min(16).max(64),
    salt: Base64,
    hash: Base64,
    createdAt: z.iso.datetime(),
  })
  .strict();
export type AdminPasswordRecord = z.infer<typeof PasswordRecordSchema>;

/** The password file exists but cannot be used: the web admin refuses every login until it is set again. */
export class AdminPasswordFileError extends Error {
  override readonly name = 'AdminPasswordFileError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(
      `the admin password file ${path} cannot be used: ${problem}. Set a new one with \`homegate admin set-password\`.`,
    );
  }
}

/** A password the user chose that is too weak or too long to be one. */
export class AdminPasswordPolicyError extends Error {
  override readonly name = 'AdminPasswordPolicyError';
}

function deriveKey(password: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: parameters.N,
    r: parameters.r,
    p: parameters.p,
    // Node refuses when 128·N·r reaches maxmem; leave room above the parameters' own need.
    maxmem: 256 * parameters.N * parameters.r,
  };
  return new Promise((resolve, reject) => {
    // NFC, so that the same password typed on two keyboards (composed or not) is the same password.
    scrypt(password.normalize('NFC'), salt, parameters.keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < MIN_ADMIN_PASSWORD_CHARS) {
    throw new AdminPasswordPolicyError(`the password must have at least ${MIN_ADMIN_PASSWORD_CHARS} characters`);
  }
  if (length > MAX_ADMIN_PASSWORD_CHARS) {
    throw new AdminPasswordPolicyError(`the password must have at most ${MAX_ADMIN_PASSWORD_CHARS} characters`);
  }
  if (/\p{Cc}/u.test(password)) throw new AdminPasswordPolicyError('the password must not contain control characters');
}

export async function hashAdminPassword(
  password: string,
  parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS,
  now: Date = new Date(),
): Promise<AdminPasswordRecord> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, parameters);
  return PasswordRecordSchema.parse({
    version: 1,
    algorithm: 'scrypt',
    ...parameters,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    createdAt: now.toISOString(),
  });
}

/** True when `password` is the one `record` was made from; the comparison takes the same time either way. */
export async function verifyAdminPassword(record: AdminPasswordRecord, password: string): Promise<boolean> {
  if (password.length > MAX_ADMIN_PASSWORD_CHARS * 2) return false;
  const expected = Buffer.from(record.hash, 'base64');
  const actual = await deriveKey(password, Buffer.from(record.salt, 'base64'), record);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The stored record; undefined when no password was set yet. */
export function readAdminPassword(path: string): Promise<AdminPasswordRecord | undefined> {
  return readJsonFile(path, {
    schema: PasswordRecordSchema,
    maxBytes: MAX_PASSWORD_FILE_BYTES,
    tooLarge: 'it is too large',
    fail: (problem) => new AdminPasswordFileError(path, problem),
  });
}

/** Checks the policy, hashes and saves (atomically, 0600); a running web admin then ends every session. */
export async function setAdminPassword(
  path: string,
  password: string,
  parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS,
): Promise<void> {
  checkPasswordPolicy(password);
  const record = await hashAdminPassword(password, parameters);
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function generateAdminPassword(): string {
  return randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
}

/**
 * On a first start without a password: makes a strong one, stores its hash and answers it, for the caller to show
 * once. Undefined when a password is already set (or its file exists but is unusable, which login then reports).
 */
export async function ensureAdminPassword(path: string): Promise<string | undefined> {
  try {
    if ((await readAdminPassword(path)) !== undefined) return undefined;
  } catch (error) {
    if (error instanceof AdminPasswordFileError) return undefined;
    throw error;
  }
  const password = generateAdminPassword();
  await setAdminPassword(path, password);
  return password;
}
