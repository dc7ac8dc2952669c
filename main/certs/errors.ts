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

/** Another process (or another call in this one) held the certificate folder's lock for too long. */
export class CertificateStoreBusyError extends Error {
  readonly code = 'ERR_CERT_STORE_BUSY';
  readonly lockFile: string;

  constructor(lockFile: string, waitedMs: number) {
    super(
      `The certificate folder is locked by another homegate process (${lockFile}, waited ${waitedMs} ms). ` +
        'Try again; if no other homegate command is running, delete that file.',
    );
    this.name = 'CertificateStoreBusyError';
    this.lockFile = lockFile;
  }
}

export type CertificateImportErrorCode =
  | 'ERR_IMPORT_FILE_UNREADABLE'
  | 'ERR_IMPORT_FILE_GARBLED'
  | 'ERR_IMPORT_NO_CERTIFICATE'
  | 'ERR_IMPORT_NO_KEY'
  | 'ERR_IMPORT_WRONG_PASSPHRASE'
  | 'ERR_IMPORT_KEY_MISMATCH'
  | 'ERR_IMPORT_UNSUPPORTED_KEY'
  | 'ERR_IMPORT_EXPIRED'
  | 'ERR_IMPORT_NOT_YET_VALID'
  | 'ERR_IMPORT_NAME_NOT_COVERED'
  | 'ERR_IMPORT_NOT_SERVER_CERTIFICATE';

/**
 * Why a certificate offered to `homegate cert import` was refused. Nothing was stored when one of these is
 * raised: the gateway keeps serving the certificate it had.
 */
export class CertificateImportError extends Error {
  readonly code: CertificateImportErrorCode;

  protected constructor(code: CertificateImportErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file could not be read at all (missing, permissions, a directory, too large). */
export class ImportFileUnreadableError extends CertificateImportError {
  readonly file: string;

  constructor(file: string, detail: string, cause?: unknown) {
    super('ERR_IMPORT_FILE_UNREADABLE', `Cannot read ${file}: ${detail}`, cause);
    this.file = file;
  }
}

/** The file was read but is neither PEM nor DER nor PKCS#12 of the expected kind (truncated, wrong file...). */
export class ImportFileGarbledError extends CertificateImportError {
  readonly file: string;

  constructor(file: string, detail: string, cause?: unknown) {
    super('ERR_IMPORT_FILE_GARBLED', `${file} is not a usable certificate file: ${detail}`, cause);
    this.file = file;
  }
}

export class ImportNoCertificateError extends CertificateImportError {
  constructor(source: string) {
    super('ERR_IMPORT_NO_CERTIFICATE', `No certificate found in ${source}`);
  }
}

export class ImportNoKeyError extends CertificateImportError {
  constructor(source: string) {
    super(
      'ERR_IMPORT_NO_KEY',
      `No private key found in ${source}; give the key with --key FILE (or use a PFX that contains it)`,
    );
  }
}

/** The PKCS#12 integrity check (or decryption, for files without one) failed with the passphrase given. */
export class ImportWrongPassphraseError extends CertificateImportError {
  constructor(file: string, cause?: unknown) {
    super(
      'ERR_IMPORT_WRONG_PASSPHRASE',
      `Wrong passphrase for ${file} (or the file is damaged): its integrity check failed`,
      cause,
    );
  }
}

/** None of the certificates belongs to the private key. */
export class ImportKeyMismatchError extends CertificateImportError {
  constructor(certificateSubject: string) {
    super(
      'ERR_IMPORT_KEY_MISMATCH',
      `The private key does not match the certificate (${certificateSubject}); check that both files come from the same request`,
    );
  }
}

export class ImportUnsupportedKeyError extends CertificateImportError {
  constructor(detail: string) {
    super(
      'ERR_IMPORT_UNSUPPORTED_KEY',
      `Unsupported private key: ${detail}; use an ECDSA (P-256, P-384, P-521) or an RSA key of at least 2048 bits`,
    );
  }
}

export class ImportExpiredError extends CertificateImportError {
  readonly notAfter: Date;

  constructor(subject: string, notAfter: Date) {
    super('ERR_IMPORT_EXPIRED', `The certificate (${subject}) expired on ${notAfter.toISOString()}`);
    this.notAfter = notAfter;
  }
}

export class ImportNotYetValidError extends CertificateImportError {
  readonly notBefore: Date;

  constructor(subject: string, notBefore: Date) {
    super(
      'ERR_IMPORT_NOT_YET_VALID',
      `The certificate (${subject}) is not valid before ${notBefore.toISOString()}; check this machine's clock`,
    );
    this.notBefore = notBefore;
  }
}

/** A configured public name is not among the certificate's subject alternative names. */
export class ImportNameNotCoveredError extends CertificateImportError {
  readonly missingNames: readonly string[];

  constructor(missingNames: readonly string[], certificateNames: readonly string[]) {
    super(
      'ERR_IMPORT_NAME_NOT_COVERED',
      certificateNames.length === 0
        ? `The certificate has no subjectAltName${missingNames.length === 0 ? '' : ` (needed for ${missingNames.join(', ')})`}; ` +
            'clients ignore the subject common name and would refuse it'
        : `The certificate has no subjectAltName for ${missingNames.join(', ')} (it covers: ${certificateNames.join(', ')}); ` +
            'clients connect by those names and would refuse it',
    );
    this.missingNames = missingNames;
  }
}

/** A CA certificate, or one whose extended key usage forbids TLS servers. */
export class ImportNotServerCertificateError extends CertificateImportError {
  constructor(detail: string) {
    super('ERR_IMPORT_NOT_SERVER_CERTIFICATE', `Not a TLS server certificate: ${detail}`);
  }
}
