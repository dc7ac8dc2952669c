/**
 * Turning a certificate the user brings (PEM certificate chain + key, or a PKCS#12/PFX file) into something the
 * gateway can serve, refusing — before anything is stored — what clients would refuse anyway.
 */
import { createPrivateKey, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  ImportExpiredError,
  ImportFileGarbledError,
  ImportFileUnreadableError,
  ImportKeyMismatchError,
  ImportNameNotCoveredError,
  ImportNoCertificateError,
  ImportNoKeyError,
  ImportNotServerCertificateError,
  ImportNotYetValidError,
  ImportUnsupportedKeyError,
  ImportWrongPassphraseError,
  type CertificateImportError,
} from './errors.ts';
import { exportPkcs8Pem } from './local-ca.ts';
import { Pkcs12PassphraseError, readPkcs12 } from './pkcs12.ts';
import { normalizeIpAddress, parsePublicName, type SubjectAltNames } from './subject-alt-names.ts';
import { x509 } from './x509.ts';

/** Certificate, key and PFX files larger than this are not what they claim to be. */
export const MAX_IMPORT_FILE_BYTES = 1024 * 1024;
/** An imported certificate with less than this left is reported as expiring soon. */
export const IMPORTED_EXPIRY_WARNING_DAYS = 30;
/** Apple platforms refuse TLS server certificates valid for longer than this (notBefore to notAfter). */
export const APPLE_MAX_VALIDITY_DAYS = 398;
const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_RSA_BITS = 2048;
const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
const ANY_EXTENDED_KEY_USAGE_OID = '2.5.29.37.0';

/** One input file, already read. `name` is how errors refer to it (the path the user gave). */
export interface ImportFile {
  readonly name: string;
  readonly data: Buffer;
}

export type ImportSource =
  | {
      readonly kind: 'pem';
      /** The certificate chain (PEM, leaf first or in any order; or one DER certificate). May also hold the key. */
      readonly cert: ImportFile;
      /** The private key (PEM); optional when `cert` holds it. */
      readonly key?: ImportFile;
      /** For an encrypted PEM key (`ENCRYPTED PRIVATE KEY`). */
      readonly passphrase?: string;
    }
  | { readonly kind: 'pfx'; readonly file: ImportFile; readonly passphrase: string };

/** A certificate that passed every check, ready to be stored and served. */
export interface PreparedCertificate {
  /** The server certificate followed by its issuers as far as they were given, PEM. */
  readonly chainPem: string;
  /** PKCS#8 PEM. Never log it. */
  readonly keyPem: string;
  readonly leaf: X509Certificate;
  readonly names: SubjectAltNames;
  /** Things worth telling the user that do not stop the import (expiring soon, extra certificates...). */
  readonly warnings: string[];
}

export interface CheckOptions {
  /** The configured public names: each must be covered by a subjectAltName. */
  readonly publicNames: readonly string[];
  readonly now: Date;
}

/** Reads one input file, refusing what is missing, unreadable or too large to be a certificate. */
export async function readImportFile(path: string): Promise<ImportFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ImportFileUnreadableError(path, describeErrno(error), error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ImportFileUnreadableError(path, 'it is not a regular file');
    if (info.size > MAX_IMPORT_FILE_BYTES) {
      throw new ImportFileUnreadableError(path, `it is larger than ${MAX_IMPORT_FILE_BYTES} bytes`);
    }
    return { name: path, data: await handle.readFile() };
  } catch (error) {
    if (error instanceof ImportFileUnreadableError) throw error;
    throw new ImportFileUnreadableError(path, describeErrno(error), error);
  } finally {
    await handle.close();
  }
}

/**
 * Opens the files, pairs the key with its certificate, orders the chain and checks that clients will accept
 * it for the configured names today. Throws the `CertificateImportError` subclass that says what is wrong.
 */
export function prepareImport(source: ImportSource, options: CheckOptions): PreparedCertificate {
  const warnings: string[] = [];
  let certificates: X509Certificate[];
  let keys: KeyObject[];
  let description: string;
  if (source.kind === 'pfx') {
    ({ certificates, keys } = openPfx(source.file, source.passphrase));
    description = source.file.name;
  } else {
    const fromCert = parsePem(source.cert, source.passphrase, { allowDer: true });
    const fromKey = source.key === undefined ? undefined : parsePem(source.key, source.passphrase, { allowDer: false });
    certificates = [...fromCert.certificates, ...(fromKey?.certificates ?? [])];
    keys = [...(fromKey?.keys ?? []), ...fromCert.keys];
    description = source.key === undefined ? source.cert.name : `${source.cert.name} and ${source.key.name}`;
    if (certificates.length === 0) throw new ImportNoCertificateError(source.cert.name);
    if (keys.length === 0) throw new ImportNoKeyError(source.key?.name ?? source.cert.name);
  }
  if (certificates.length === 0) throw new ImportNoCertificateError(description);
  if (keys.length === 0) throw new ImportNoKeyError(description);

  const prepared = pairAndOrder(certificates, keys, warnings);
  const [problem] = checkServerCertificate(prepared.leaf, options);
  if (problem) throw problem;
  warnings.push(...advisories(prepared.leaf, options));
  return { ...prepared, warnings };
}

/**
 * Reads back a stored imported chain and key (already-validated PEM). The checks that depend on time and
 * settings are not applied: the caller reports them with `checkServerCertificate` instead of refusing to start.
 */
export function openStoredImport(chain: ImportFile, key: ImportFile): Omit<PreparedCertificate, 'warnings'> {
  const fromChain = parsePem(chain, undefined, { allowDer: false });
  const fromKey = parsePem(key, undefined, { allowDer: false });
  if (fromChain.certificates.length === 0) throw new ImportNoCertificateError(chain.name);
  if (fromKey.keys.length === 0) throw new ImportNoKeyError(key.name);
  return pairAndOrder(fromChain.certificates, fromKey.keys, []);
}

/**
 * Everything that would make clients refuse `leaf` today for the configured names, most fundamental first.
 * Empty when it is fine.
 */
export function checkServerCertificate(leaf: X509Certificate, options: CheckOptions): CertificateImportError[] {
  const problems: CertificateImportError[] = [];
  const parsed = new x509.X509Certificate(leaf.raw);
  const subject = describeSubject(leaf);
  if (leaf.ca) problems.push(new ImportNotServerCertificateError(`${subject} is a CA certificate`));
  const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku && !eku.usages.some((usage) => usage === SERVER_AUTH_OID || usage === ANY_EXTENDED_KEY_USAGE_OID)) {
    problems.push(
      new ImportNotServerCertificateError(
        `the extended key usage of ${subject} does not include TLS server authentication (serverAuth)`,
      ),
    );
  }
  const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    problems.push(
      new ImportNotServerCertificateError(
        `the key usage of ${subject} lacks digitalSignature, which the gateway's (ECDHE) cipher suites need`,
      ),
    );
  }
  if (parsed.notBefore > options.now) problems.push(new ImportNotYetValidError(subject, parsed.notBefore));
  if (parsed.notAfter <= options.now) problems.push(new ImportExpiredError(subject, parsed.notAfter));

  const names = subjectAltNamesOf(leaf);
  const listed = [...names.dnsNames, ...names.ipAddresses];
  const missing = options.publicNames.filter((name) => !coversName(leaf, name));
  if (listed.length === 0 || missing.length > 0) problems.push(new ImportNameNotCoveredError(missing, listed));
  return problems;
}

/** The certificate's DNS and IP subjectAltNames (IPs in canonical form). */
export function subjectAltNamesOf(cert: X509Certificate): SubjectAltNames {
  const san = new x509.X509Certificate(cert.raw).getExtension(x509.SubjectAlternativeNameExtension);
  const entries = san?.names.toJSON() ?? [];
  return {
    dnsNames: entries.filter((entry) => entry.type === 'dns').map((entry) => entry.value),
    ipAddresses: entries.filter((entry) => entry.type === 'ip').map((entry) => canonicalIpOrSelf(entry.value)),
  };
}

/** Whether `name` (a public name: DNS or IP) matches a subjectAltName, as a TLS client checks it. */
export function coversName(cert: X509Certificate, name: string): boolean {
  let parsed;
  try {
    parsed = parsePublicName(name);
  } catch {
    return false;
  }
  if (parsed.kind === 'ip') return cert.checkIP(parsed.value) !== undefined;
  // subject 'never': modern clients ignore the common name, so it must not make a name look covered.
  return (
    cert.checkHost(parsed.value, {
      subject: 'never',
      wildcards: true,
      partialWildcards: false,
      multiLabelWildcards: false,
      singleLabelSubdomains: false,
    }) !== undefined
  );
}

/** `CN=gw.example.com` style one-line subject. */
export function describeSubject(cert: X509Certificate): string {
  return cert.subject.replaceAll('\n', ', ');
}

export function describeIssuer(cert: X509Certificate): string {
  return cert.issuer.replaceAll('\n', ', ');
}

function openPfx(file: ImportFile, passphrase: string): { certificates: X509Certificate[]; keys: KeyObject[] } {
  let contents;
  try {
    contents = readPkcs12(file.data, passphrase);
  } catch (error) {
    if (error instanceof Pkcs12PassphraseError) throw new ImportWrongPassphraseError(file.name, error);
    throw new ImportFileGarbledError(file.name, (error as Error).message, error);
  }
  const certificates = contents.certificates.map((der, index) => {
    try {
      return new X509Certificate(der);
    } catch (error) {
      throw new ImportFileGarbledError(file.name, `certificate ${index + 1} cannot be parsed`, error);
    }
  });
  const keys = contents.keys.map((der, index) => {
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch (error) {
      throw new ImportFileGarbledError(file.name, `private key ${index + 1} cannot be parsed`, error);
    }
  });
  return { certificates, keys };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);

function parsePem(
  file: ImportFile,
  passphrase: string | undefined,
  options: { allowDer: boolean },
): { certificates: X509Certificate[]; keys: KeyObject[] } {
  const text = file.data.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    // Windows exports `.cer` files as DER: a single certificate, starting with a SEQUENCE.
    if (options.allowDer && file.data[0] === 0x30) {
      try {
        return { certificates: [new X509Certificate(file.data)], keys: [] };
      } catch (error) {
        throw new ImportFileGarbledError(file.name, 'neither PEM nor a DER certificate', error);
      }
    }
    const what = text.includes('-----BEGIN') ? 'a PEM block is truncated or damaged' : 'no PEM block found';
    throw new ImportFileGarbledError(file.name, what);
  }
  const certificates: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  for (const [block, label] of blocks) {
    if (label === 'CERTIFICATE') {
      try {
        certificates.push(new X509Certificate(block));
      } catch (error) {
        throw new ImportFileGarbledError(file.name, `certificate ${certificates.length + 1} cannot be parsed`, error);
      }
    } else if (label !== undefined && KEY_LABELS.has(label)) {
      keys.push(parseKeyBlock(file.name, block, label, passphrase));
    }
    // Other blocks (parameters, CSRs, CRLs) are ignored.
  }
  return { certificates, keys };
}

function parseKeyBlock(name: string, block: string, label: string, passphrase: string | undefined): KeyObject {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type: 4,ENCRYPTED$/m.test(block);
  if (encrypted && passphrase === undefined) {
    throw new ImportFileGarbledError(name, 'the private key is encrypted; give its passphrase with --passphrase-file');
  }
  try {
    return createPrivateKey({ key: block, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch (error) {
    if (encrypted) throw new ImportWrongPassphraseError(name, error);
    throw new ImportFileGarbledError(name, 'the private key cannot be parsed', error);
  }
}

function pairAndOrder(
  certificates: X509Certificate[],
  keys: KeyObject[],
  warnings: string[],
): { chainPem: string; keyPem: string; leaf: X509Certificate; names: SubjectAltNames } {
  for (const key of keys) checkKeyType(key);
  let leaf: X509Certificate | undefined;
  let key: KeyObject | undefined;
  for (const candidate of keys) {
    leaf = certificates.find((cert) => keyMatchesCertificate(candidate, cert));
    if (leaf) {
      key = candidate;
      break;
    }
  }
  if (!leaf || !key) throw new ImportKeyMismatchError(describeSubject(certificates[0]));
  if (keys.length > 1) warnings.push(`${keys.length - 1} other private key(s) in the input were ignored`);

  // Follow issuers from the leaf: the order of the input does not matter, and strays are dropped.
  const chain = [leaf];
  const remaining = certificates.filter((cert) => cert !== leaf && cert.fingerprint256 !== leaf.fingerprint256);
  for (let current = leaf; !isSelfSigned(current);) {
    const index = remaining.findIndex((cert) => current.checkIssued(cert) && current.verify(cert.publicKey));
    if (index === -1) break;
    current = remaining.splice(index, 1)[0];
    chain.push(current);
  }
  const strays = remaining.filter((cert) => !chain.some((kept) => kept.fingerprint256 === cert.fingerprint256));
  if (strays.length > 0) {
    warnings.push(`${strays.length} certificate(s) that are not issuers of ${describeSubject(leaf)} were ignored`);
  }
  return {
    chainPem: chain.map((cert) => `${cert.toString().trimEnd()}\n`).join(''),
    keyPem: exportPkcs8Pem(key),
    leaf,
    names: subjectAltNamesOf(leaf),
  };
}

/** Worth saying, not worth refusing. */
function advisories(leaf: X509Certificate, options: CheckOptions): string[] {
  const notes: string[] = [];
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const daysLeft = Math.floor((notAfter.getTime() - options.now.getTime()) / DAY_MS);
  if (daysLeft < IMPORTED_EXPIRY_WARNING_DAYS) {
    notes.push(`it expires in ${daysLeft} day(s), on ${notAfter.toISOString()}; imported certificates are not renewed`);
  }
  if (notAfter.getTime() - notBefore.getTime() > APPLE_MAX_VALIDITY_DAYS * DAY_MS) {
    notes.push(`it is valid for more than ${APPLE_MAX_VALIDITY_DAYS} days, which macOS and iOS clients refuse`);
  }
  if (isSelfSigned(leaf)) notes.push('it is self-signed: every client must trust this certificate itself');
  if (options.publicNames.length === 0) {
    notes.push('no public names are configured, so the names it covers were not checked against them');
  }
  return notes;
}

function checkKeyType(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (!SUPPORTED_CURVES.has(curve)) throw new ImportUnsupportedKeyError(`an EC key on curve ${curve}`);
    return;
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new ImportUnsupportedKeyError(`an RSA key of ${bits} bits`);
    return;
  }
  // Ed25519/Ed448 certificates are not accepted by Windows' RDP clients; RSA-PSS-only keys by few clients.
  throw new ImportUnsupportedKeyError(`a ${type ?? 'unknown'} key`);
}

/**
 * Proves possession rather than comparing encodings: a fresh nonce signed with the private key must verify
 * with the certificate's public key. This also catches a PKCS#8 file whose embedded public key is wrong.
 */
export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  const nonce = randomBytes(32);
  try {
    return verify('sha256', nonce, cert.publicKey, sign('sha256', nonce, key));
  } catch {
    // Different key types (an RSA certificate with an EC key) throw instead of returning false.
    return false;
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  // Not checkIssued(cert): OpenSSL's check also wants keyCertSign, which a self-signed leaf does not have.
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

function canonicalIpOrSelf(address: string): string {
  try {
    return normalizeIpAddress(address);
  } catch {
    return address;
  }
}

function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}
