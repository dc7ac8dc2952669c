/**
 * Errors raised while loading or creating stored key material (the local CA, the TLS server certificate,
 * the token signing key). Each failure has its own class and a stable `code`; messages name the file.
 *
 * Invariant: none of these is raised after we wrote to the file it names. A file we cannot read or
 * understand is left exactly as it was, because it may be the only copy of a key that clients trust.
 */
export type KeyMaterialErrorCode =
  'ERR_KEY_FILE_UNREADABLE' | 'ERR_KEY_FILE_CORRUPT' | 'ERR_KEY_FILE_MISSING' | 'ERR_KEY_MISMATCH' | 'ERR_CA_EXPIRED';

export interface KeyMaterialErrorOptions {
  /** The file the error is about (absolute or as given by the caller). */
  file: string;
  cause?: unknown;
}

export class KeyMaterialError extends Error {
  readonly code: KeyMaterialErrorCode;
  readonly file: string;

  protected constructor(code: KeyMaterialErrorCode, message: string, options: KeyMaterialErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = options.file;
  }
}

/** The file exists but could not be read (permissions, not a regular file, the secret codec refused it). */
export class KeyFileUnreadableError extends KeyMaterialError {
  constructor(file: string, detail: string, cause?: unknown) {
    super('ERR_KEY_FILE_UNREADABLE', `Cannot read ${file}: ${detail}. The file was left untouched.`, { file, cause });
  }
}

/** The file was read but does not hold what it should (bad PEM, wrong key type, invalid JSON...). */
export class KeyFileCorruptError extends KeyMaterialError {
  constructor(file: string, detail: string, remedy: string, cause?: unknown) {
    super('ERR_KEY_FILE_CORRUPT', `${file} is corrupt or invalid: ${detail}. It was left untouched; ${remedy}`, {
      file,
      cause,
    });
  }
}

/** One file of a pair is present and its partner is missing, so neither can be used. */
export class KeyFileMissingError extends KeyMaterialError {
  constructor(file: string, presentFile: string, remedy: string) {
    super('ERR_KEY_FILE_MISSING', `${file} is missing but ${presentFile} exists; ${remedy}`, { file });
  }
}

/** A private key does not belong to the certificate (or public key) stored next to it. */
export class KeyMismatchError extends KeyMaterialError {
  readonly otherFile: string;

  constructor(keyFile: string, otherFile: string, remedy: string) {
    super('ERR_KEY_MISMATCH', `The private key in ${keyFile} does not match ${otherFile}; ${remedy}`, {
      file: keyFile,
    });
    this.otherFile = otherFile;
  }
}

/** The local CA certificate has expired; it cannot issue server certificates that clients accept. */
export class CertificateAuthorityExpiredError extends KeyMaterialError {
  readonly notAfter: Date;

  constructor(file: string, notAfter: Date) {
    super(
      'ERR_CA_EXPIRED',
      `The local CA in ${file} expired on ${notAfter.toISOString()}. Delete ca.pem and ca-key.pem to create a new CA, ` +
        'then install the new CA certificate on every client.',
      { file },
    );
    this.notAfter = notAfter;
  }
}

/** A configured public name is neither a valid DNS host name nor an IP address. */
export class InvalidPublicNameError extends Error {
  readonly code = 'ERR_INVALID_PUBLIC_NAME';
  readonly publicName: string;

  constructor(publicName: string, detail: string) {
    super(`Invalid public name ${JSON.stringify(publicName)}: ${detail}`);
    this.name = 'InvalidPublicNameError';
    this.publicName = publicName;
  }
}
