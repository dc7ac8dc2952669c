import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { ensurePrivateDir } from '../util/fs-atomic.ts';
import {
  checkServerCertificate,
  describeIssuer,
  describeSubject,
  IMPORTED_EXPIRY_WARNING_DAYS,
  keyMatchesCertificate,
  openStoredImport,
  subjectAltNamesOf,
  type PreparedCertificate,
} from './certificate-import.ts';
import {
  CertificateAuthorityExpiredError,
  CertificateImportError,
  ImportFileGarbledError,
  ImportKeyMismatchError,
  KeyFileCorruptError,
  KeyFileMissingError,
  KeyMismatchError,
} from './errors.ts';
import { fingerprintSha256OfDer } from './fingerprint.ts';
import {
  createLocalCa,
  exportPkcs8Pem,
  describeKey,
  isSupportedKey,
  issueServerCertificate,
  DEFAULT_CERTIFICATE_KEY_TYPE,
  type CertificateKeyType,
  type CertificateWithKey,
} from './local-ca.ts';
import {
  IDENTITY_SECRET_CODEC,
  readOptionalFile,
  readOptionalSecretFile,
  writePublicFile,
  writeSecretFile,
  type SecretCodec,
} from './secret-files.ts';
import { withStoreLock } from './store-lock.ts';
import { defaultSubjectAltNames, normalizeIpAddress, type SubjectAltNames } from './subject-alt-names.ts';
import { x509 } from './x509.ts';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const SERVER_CERT_FILE = 'server.pem';
export const SERVER_KEY_FILE = 'server-key.pem';
/** A certificate the user imported (chain, leaf first) and its key: served instead of server.pem while present. */
export const IMPORTED_CERT_FILE = 'imported.pem';
export const IMPORTED_KEY_FILE = 'imported-key.pem';
/**
 * Rewritten (last, under the lock) by every process that changes the files above, so that a running gateway
 * watching the folder reloads once the change is complete.
 */
export const CHANGE_MARKER_FILE = 'changed.json';
/** The server certificate is re-issued when it has less than this left. */
export const RENEW_BEFORE_EXPIRY_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Where the served certificate comes from: issued by the local CA, or imported by the user. */
export type CertificateSource = 'local' | 'imported';

/** Everything the TLS listener and the UI need; PEM strings end with a newline. */
export interface TlsMaterial {
  readonly source: CertificateSource;
  /** The local CA certificate that clients install as trusted (also when an imported certificate is served). */
  readonly caCertPem: string;
  /** The server (leaf) certificate. */
  readonly certPem: string;
  /** The server private key, PKCS#8 PEM. Never log it. */
  readonly keyPem: string;
  /** Server certificate followed by its issuers: the `cert` for `tls.createServer`. */
  readonly chainPem: string;
  /** One-line distinguished names of the server certificate. */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  /** Of the server certificate, `AB:CD:...`. */
  readonly fingerprintSha256: string;
  /** The server certificate's SAN entries. */
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  /** When the server certificate expires. */
  readonly notAfter: Date;
  readonly caFingerprintSha256: string;
}

export interface LoadOrCreateCertificatesOptions {
  /** Configured public names (DNS names or IP literals) the certificate must cover. */
  publicNames: readonly string[];
  logger: Logger;
  /** The clock; injectable for tests. */
  now?: () => Date;
  /** Applied to private key files (encryption at rest); identity by default. */
  secretCodec?: SecretCodec;
  /** Issue a new server key and certificate from the local CA even if the current ones are fine. */
  regenerate?: boolean;
  /**
   * The key type of what is created from now on (a new CA, a new or regenerated server key); default RSA 2048.
   * Existing keys are kept whatever their type, so a data directory keeps its certificate until it is regenerated.
   */
  keyType?: CertificateKeyType;
}

/** Why a server certificate is (re-)issued; logged as the `reason` field. */
export type IssueReason =
  | 'missing'
  | 'key-missing'
  | 'certificate-missing'
  | 'not-issued-by-ca'
  | 'not-yet-valid'
  | 'expiring'
  | 'names-changed'
  | 'requested';

interface CertificatePaths {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly importedCert: string;
  readonly importedKey: string;
  readonly marker: string;
}

interface Context {
  readonly paths: CertificatePaths;
  readonly codec: SecretCodec;
  readonly logger: Logger;
  readonly now: Date;
  readonly keyType: CertificateKeyType;
  /** Set when a file was written, so that the change marker is rewritten. */
  changed: string[];
}

interface ParsedCertificate {
  /** Canonical PEM of the certificate alone. */
  readonly pem: string;
  /** Node's view, for the cryptographic checks. */
  readonly node: X509Certificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly names: SubjectAltNames;
}

interface LoadedPair {
  readonly cert: ParsedCertificate;
  readonly key: KeyObject;
  /** PKCS#8 PEM of `key`. */
  readonly keyPem: string;
}

const CA_REMEDY =
  'restore it from a backup, or delete both ca.pem and ca-key.pem to create a new CA ' +
  '(every client must then install the new CA certificate).';
const SERVER_REMEDY = 'restore it from a backup, or delete server.pem and server-key.pem to issue a new pair.';
const IMPORTED_REMEDY =
  'import the certificate again with `homegate cert import`, or go back to the local one with `homegate cert use-local`.';

/**
 * Loads the gateway's TLS material from `dir`, creating what is missing:
 * - first run: a local CA (ca.pem, ca-key.pem) and a server certificate from it (server.pem, server-key.pem);
 * - later runs: loads them, and re-issues the server certificate from the same CA when it is missing,
 *   expires within RENEW_BEFORE_EXPIRY_DAYS, is not valid yet, was not issued by this CA, or does not cover
 *   every wanted name (public names, host name, LAN addresses). A renewal keeps the server key;
 *   `regenerate` issues a new key and certificate whatever their state.
 * When an imported certificate is present (imported.pem, imported-key.pem) it is what the material describes;
 * the local files are still kept current, so that `homegate cert use-local` can switch back at once. Imported
 * certificates are never renewed. Everything runs under the folder's lock, and a change to any file rewrites
 * changed.json so that a running gateway reloads.
 *
 * Never replaces an existing CA: clients trust it by hand. A CA or key file that cannot be read or parsed,
 * a CA file without its partner, or a key that does not match its certificate is an error naming the
 * file, and that file is left as it was.
 */
export async function loadOrCreateCertificates(
  dir: string,
  options: LoadOrCreateCertificatesOptions,
): Promise<TlsMaterial> {
  // Validate the configured names before touching the disk.
  const wanted = defaultSubjectAltNames({ publicNames: options.publicNames });
  const context: Context = {
    paths: certificatePaths(dir),
    codec: options.secretCodec ?? IDENTITY_SECRET_CODEC,
    logger: options.logger,
    now: (options.now ?? (() => new Date()))(),
    keyType: options.keyType ?? DEFAULT_CERTIFICATE_KEY_TYPE,
    changed: [],
  };

  await ensurePrivateDir(dir);
  await warnIfShared(dir, context.logger);

  return withStoreLock(dir, async () => {
    const ca = await loadOrCreateCa(context);
    const server = await loadOrIssueServerCertificate(context, ca, wanted, options.regenerate === true);
    const imported = await loadImported(context, options.publicNames);
    if (context.changed.length > 0) await writeChangeMarker(context.paths, context.changed.join(','), context.now);

    const caFingerprintSha256 = fingerprintSha256OfDer(ca.cert.node.raw);
    if (imported !== undefined) return materialOfImported(imported, ca.cert.pem, caFingerprintSha256);
    return Object.freeze({
      source: 'local' as const,
      caCertPem: ca.cert.pem,
      certPem: server.cert.pem,
      keyPem: server.keyPem,
      chainPem: server.cert.pem + ca.cert.pem,
      subject: describeSubject(server.cert.node),
      issuer: describeIssuer(server.cert.node),
      notBefore: server.cert.notBefore,
      fingerprintSha256: fingerprintSha256OfDer(server.cert.node.raw),
      dnsNames: [...server.cert.names.dnsNames],
      ipAddresses: [...server.cert.names.ipAddresses],
      notAfter: server.cert.notAfter,
      caFingerprintSha256,
    });
  });
}

export interface ImportCertificateOptions {
  logger: Logger;
  secretCodec?: SecretCodec;
  now?: () => Date;
}

/**
 * Stores a certificate that passed `prepareImport` as the one to serve (key 0600 through the secret codec),
 * then rewrites the change marker so that a running gateway swaps to it. The local CA and server certificate
 * are kept: `removeImportedCertificate` goes back to them.
 */
export async function storeImportedCertificate(
  dir: string,
  prepared: Pick<PreparedCertificate, 'chainPem' | 'keyPem' | 'leaf'>,
  options: ImportCertificateOptions,
): Promise<void> {
  const paths = certificatePaths(dir);
  const codec = options.secretCodec ?? IDENTITY_SECRET_CODEC;
  await ensurePrivateDir(dir);
  await withStoreLock(dir, async () => {
    // Key first: the certificate file is what makes the import active, so it must never point at an old key.
    await writeSecretFile(paths.importedKey, Buffer.from(prepared.keyPem), codec);
    await writePublicFile(paths.importedCert, prepared.chainPem);
    await writeChangeMarker(paths, 'imported', (options.now ?? (() => new Date()))());
  });
  options.logger.info('imported certificate stored', {
    file: paths.importedCert,
    subject: describeSubject(prepared.leaf),
    issuer: describeIssuer(prepared.leaf),
    fingerprintSha256: fingerprintSha256OfDer(prepared.leaf.raw),
    notAfter: new Date(prepared.leaf.validTo).toISOString(),
  });
}

/** Drops the imported certificate so that the local one is served again. False when none was imported. */
export async function removeImportedCertificate(
  dir: string,
  options: { logger: Logger; now?: () => Date },
): Promise<boolean> {
  const paths = certificatePaths(dir);
  await ensurePrivateDir(dir);
  return withStoreLock(dir, async () => {
    const present = (await readOptionalFile(paths.importedCert)) !== undefined;
    // Certificate first: without it the import is inactive, and a leftover key is ignored.
    await rm(paths.importedCert, { force: true });
    await rm(paths.importedKey, { force: true });
    if (present) {
      await writeChangeMarker(paths, 'use-local', (options.now ?? (() => new Date()))());
      options.logger.info('imported certificate removed; serving the local one', { file: paths.importedCert });
    }
    return present;
  });
}

/** What `homegate cert show` prints about one certificate. */
export interface CertificateSummary {
  readonly source: CertificateSource;
  readonly file: string;
  readonly subject: string;
  readonly issuer: string;
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Reasons clients may refuse it, or that need the user's attention soon (expiry, names not covered). */
  readonly warnings: string[];
}

/**
 * Describes the certificate the gateway serves, from the files alone: no key is read and nothing is written,
 * so it also works while `serve` runs and without the secret codec. Undefined when there is none yet.
 */
export async function describeServedCertificate(
  dir: string,
  options: { publicNames: readonly string[]; now?: Date },
): Promise<CertificateSummary | undefined> {
  const paths = certificatePaths(dir);
  const now = options.now ?? new Date();
  const imported = await readOptionalFile(paths.importedCert);
  const source: CertificateSource = imported === undefined ? 'local' : 'imported';
  const file = imported === undefined ? paths.serverCert : paths.importedCert;
  const data = imported ?? (await readOptionalFile(paths.serverCert));
  if (data === undefined) return undefined;
  const cert = parseCertificate(file, data.data.toString('utf8'), source === 'local' ? SERVER_REMEDY : IMPORTED_REMEDY);
  const warnings = checkServerCertificate(cert.node, { publicNames: options.publicNames, now }).map(
    (problem) => problem.message,
  );
  const daysLeft = Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
  if (cert.notAfter > now && daysLeft < IMPORTED_EXPIRY_WARNING_DAYS) {
    warnings.push(
      source === 'imported'
        ? `expires in ${daysLeft} day(s) and imported certificates are not renewed: import a new one`
        : `expires in ${daysLeft} day(s); a running gateway renews it within a day`,
    );
  }
  return {
    source,
    file,
    subject: describeSubject(cert.node),
    issuer: describeIssuer(cert.node),
    dnsNames: [...cert.names.dnsNames],
    ipAddresses: [...cert.names.ipAddresses],
    fingerprintSha256: fingerprintSha256OfDer(cert.node.raw),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    warnings,
  };
}

/** The local CA certificate, for export. Undefined until the CA exists. */
export async function readCaCertificate(dir: string): Promise<X509Certificate | undefined> {
  const paths = certificatePaths(dir);
  const file = await readOptionalFile(paths.caCert);
  if (file === undefined) return undefined;
  return parseCertificate(paths.caCert, file.data.toString('utf8'), CA_REMEDY).node;
}

function certificatePaths(dir: string): CertificatePaths {
  return {
    caCert: join(dir, CA_CERT_FILE),
    caKey: join(dir, CA_KEY_FILE),
    serverCert: join(dir, SERVER_CERT_FILE),
    serverKey: join(dir, SERVER_KEY_FILE),
    importedCert: join(dir, IMPORTED_CERT_FILE),
    importedKey: join(dir, IMPORTED_KEY_FILE),
    marker: join(dir, CHANGE_MARKER_FILE),
  };
}

async function writeChangeMarker(paths: CertificatePaths, reason: string, now: Date): Promise<void> {
  await writePublicFile(
    paths.marker,
    `${JSON.stringify({ changedAt: now.toISOString(), reason, pid: process.pid })}\n`,
  );
}

interface LoadedImport {
  readonly chainPem: string;
  readonly keyPem: string;
  readonly leaf: X509Certificate;
  readonly names: SubjectAltNames;
}

/**
 * The imported certificate, when there is one. A damaged pair is an error naming the file (like the local
 * files); an expired certificate or one that misses a public name is still served — clients tell the user,
 * and refusing to start would take the gateway away entirely — but logged loudly.
 */
async function loadImported(context: Context, publicNames: readonly string[]): Promise<LoadedImport | undefined> {
  const { paths, codec, logger, now } = context;
  const certFile = await readOptionalFile(paths.importedCert);
  if (certFile === undefined) {
    if ((await readOptionalFile(paths.importedKey)) !== undefined) {
      logger.warn('ignoring an imported key without its certificate', { file: paths.importedKey });
    }
    return undefined;
  }
  const keyData = await readOptionalSecretFile(paths.importedKey, codec, logger);
  if (keyData === undefined) throw new KeyFileMissingError(paths.importedKey, paths.importedCert, IMPORTED_REMEDY);
  let loaded: LoadedImport;
  try {
    loaded = openStoredImport(
      { name: paths.importedCert, data: certFile.data },
      { name: paths.importedKey, data: keyData },
    );
  } catch (error) {
    if (error instanceof ImportKeyMismatchError) {
      throw new KeyMismatchError(paths.importedKey, paths.importedCert, IMPORTED_REMEDY);
    }
    if (error instanceof CertificateImportError) {
      const file = error instanceof ImportFileGarbledError ? error.file : paths.importedCert;
      throw new KeyFileCorruptError(file, error.message, IMPORTED_REMEDY, error);
    }
    throw error;
  }
  const fields = {
    file: paths.importedCert,
    subject: describeSubject(loaded.leaf),
    fingerprintSha256: fingerprintSha256OfDer(loaded.leaf.raw),
    notAfter: new Date(loaded.leaf.validTo).toISOString(),
  };
  for (const problem of checkServerCertificate(loaded.leaf, { publicNames, now })) {
    logger.error('imported certificate will be refused by clients', { ...fields, problem: problem.message });
  }
  const msLeft = new Date(loaded.leaf.validTo).getTime() - now.getTime();
  if (msLeft > 0 && msLeft < IMPORTED_EXPIRY_WARNING_DAYS * DAY_MS) {
    logger.warn('imported certificate expires soon and is not renewed automatically; import a new one', {
      ...fields,
      daysLeft: Math.floor(msLeft / DAY_MS),
    });
  }
  logger.debug('serving the imported certificate', fields);
  return loaded;
}

function materialOfImported(imported: LoadedImport, caCertPem: string, caFingerprintSha256: string): TlsMaterial {
  const parsed = new x509.X509Certificate(imported.leaf.raw);
  const names = subjectAltNamesOf(imported.leaf);
  return Object.freeze({
    source: 'imported' as const,
    caCertPem,
    certPem: `${imported.leaf.toString().trimEnd()}\n`,
    keyPem: imported.keyPem,
    chainPem: imported.chainPem,
    subject: describeSubject(imported.leaf),
    issuer: describeIssuer(imported.leaf),
    notBefore: parsed.notBefore,
    fingerprintSha256: fingerprintSha256OfDer(imported.leaf.raw),
    dnsNames: [...names.dnsNames],
    ipAddresses: [...names.ipAddresses],
    notAfter: parsed.notAfter,
    caFingerprintSha256,
  });
}

async function loadOrCreateCa(context: Context): Promise<LoadedPair> {
  const { paths, codec, logger, now } = context;
  const certFile = await readOptionalFile(paths.caCert);
  const keyData = await readOptionalSecretFile(paths.caKey, codec, logger);

  if (certFile === undefined && keyData === undefined) {
    const created = await createLocalCa({ commonName: caCommonName(now), now, keyType: context.keyType });
    const ca = parsePair(created, paths.caCert, paths.caKey, CA_REMEDY);
    // Key first: if we stop in between, the next run finds a key without a certificate and says so,
    // instead of a certificate whose key is lost.
    await writeSecretFile(paths.caKey, Buffer.from(created.keyPem), codec);
    await writePublicFile(paths.caCert, created.certPem);
    context.changed.push('ca-created');
    logger.info('created local certificate authority', {
      file: paths.caCert,
      subject: ca.cert.node.subject.replaceAll('\n', ', '),
      fingerprintSha256: fingerprintSha256OfDer(ca.cert.node.raw),
      notAfter: ca.cert.notAfter.toISOString(),
    });
    return ca;
  }
  if (certFile === undefined) throw new KeyFileMissingError(paths.caCert, paths.caKey, CA_REMEDY);
  if (keyData === undefined) throw new KeyFileMissingError(paths.caKey, paths.caCert, CA_REMEDY);

  const ca = parsePair(
    { certPem: certFile.data.toString('utf8'), keyPem: keyData.toString('utf8') },
    paths.caCert,
    paths.caKey,
    CA_REMEDY,
  );
  // A leaf certificate in ca.pem would sign server certificates that no client accepts.
  if (!ca.cert.node.ca) throw new KeyFileCorruptError(paths.caCert, 'it is not a CA certificate', CA_REMEDY);
  if (ca.cert.notAfter <= now) throw new CertificateAuthorityExpiredError(paths.caCert, ca.cert.notAfter);
  if (ca.cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_EXPIRY_DAYS * DAY_MS) {
    logger.warn('local certificate authority expires soon; server certificates are capped to its lifetime', {
      file: paths.caCert,
      notAfter: ca.cert.notAfter.toISOString(),
    });
  }
  return ca;
}

async function loadOrIssueServerCertificate(
  context: Context,
  ca: LoadedPair,
  wanted: SubjectAltNames,
  regenerate: boolean,
): Promise<LoadedPair> {
  const { paths, codec, logger, now } = context;
  const certFile = await readOptionalFile(paths.serverCert);
  const keyData = await readOptionalSecretFile(paths.serverKey, codec, logger);

  let reason: IssueReason | undefined;
  let keyToKeep: string | undefined;
  let missing: string[] = [];
  if (regenerate) {
    // A new key too: regenerating is what a user does when the old key may have leaked.
    reason = 'requested';
  } else if (keyData === undefined) {
    // A certificate without its key is useless; issue a new pair over it (it is public material).
    reason = certFile === undefined ? 'missing' : 'key-missing';
  } else if (certFile === undefined) {
    keyToKeep = parseKey(paths.serverKey, keyData, SERVER_REMEDY).keyPem;
    reason = 'certificate-missing';
  } else {
    const server = parsePair(
      { certPem: certFile.data.toString('utf8'), keyPem: keyData.toString('utf8') },
      paths.serverCert,
      paths.serverKey,
      SERVER_REMEDY,
    );
    keyToKeep = server.keyPem;
    missing = missingNames(server.cert.names, wanted);
    reason = renewalReason(server.cert, ca.cert, now, missing);
    if (reason === undefined) {
      logger.debug('loaded server certificate', {
        file: paths.serverCert,
        fingerprintSha256: fingerprintSha256OfDer(server.cert.node.raw),
        notAfter: server.cert.notAfter.toISOString(),
      });
      return server;
    }
  }

  const issued = await issueServerCertificate({
    ca: { certPem: ca.cert.pem, keyPem: ca.keyPem },
    names: wanted,
    now,
    keyType: context.keyType,
    ...(keyToKeep === undefined ? {} : { keyPem: keyToKeep }),
  });
  const server = parsePair(issued, paths.serverCert, paths.serverKey, SERVER_REMEDY);
  // Certificate first: if we stop in between, the next run finds no key (or the kept one) and issues again.
  // A regeneration drops the old key before that, so that the new certificate never meets the old key.
  if (reason === 'requested') await rm(paths.serverKey, { force: true });
  await writePublicFile(paths.serverCert, issued.certPem);
  if (keyToKeep === undefined) await writeSecretFile(paths.serverKey, Buffer.from(issued.keyPem), codec);
  context.changed.push(`server-${reason}`);
  // A certificate from another CA means ca.pem changed under us: worth more than an info line.
  logger[reason === 'not-issued-by-ca' ? 'warn' : 'info']('issued server certificate', {
    reason,
    ...(missing.length === 0 ? {} : { addedNames: missing }),
    file: paths.serverCert,
    newKey: keyToKeep === undefined,
    dnsNames: server.cert.names.dnsNames,
    ipAddresses: server.cert.names.ipAddresses,
    fingerprintSha256: fingerprintSha256OfDer(server.cert.node.raw),
    notAfter: server.cert.notAfter.toISOString(),
  });
  return server;
}

function renewalReason(
  cert: ParsedCertificate,
  ca: ParsedCertificate,
  now: Date,
  missing: readonly string[],
): IssueReason | undefined {
  // Checked against the CA we hold: a server certificate from another CA would fail on every client.
  if (!cert.node.checkIssued(ca.node) || !cert.node.verify(ca.node.publicKey)) return 'not-issued-by-ca';
  if (cert.notBefore > now) return 'not-yet-valid';
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_EXPIRY_DAYS * DAY_MS) return 'expiring';
  if (missing.length > 0) return 'names-changed';
  return undefined;
}

/** Wanted names the certificate does not cover (DNS names compared case-insensitively, IPs canonically). */
function missingNames(have: SubjectAltNames, wanted: SubjectAltNames): string[] {
  const dns = new Set(have.dnsNames.map((name) => name.toLowerCase()));
  const ips = new Set(have.ipAddresses.map(canonicalIpOrSelf));
  return [
    ...wanted.dnsNames.filter((name) => !dns.has(name.toLowerCase())),
    ...wanted.ipAddresses.filter((ip) => !ips.has(canonicalIpOrSelf(ip))),
  ];
}

function parsePair(pems: CertificateWithKey, certFile: string, keyFile: string, remedy: string): LoadedPair {
  const cert = parseCertificate(certFile, pems.certPem, remedy);
  const { key, keyPem } = parseKey(keyFile, Buffer.from(pems.keyPem), remedy);
  if (!keyMatchesCertificate(key, cert.node)) throw new KeyMismatchError(keyFile, certFile, remedy);
  return { cert, key, keyPem };
}

function parseCertificate(file: string, pem: string, remedy: string): ParsedCertificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KeyFileCorruptError(file, 'no PEM certificate found', remedy);
  }
  try {
    const node = new X509Certificate(pem);
    const parsed = new x509.X509Certificate(node.raw);
    const san = parsed.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
    return {
      pem: `${node.toString().trimEnd()}\n`,
      node,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
      names: {
        dnsNames: san.filter((entry) => entry.type === 'dns').map((entry) => entry.value),
        ipAddresses: san.filter((entry) => entry.type === 'ip').map((entry) => canonicalIpOrSelf(entry.value)),
      },
    };
  } catch (error) {
    throw new KeyFileCorruptError(file, `not a valid X.509 certificate (${errorMessage(error)})`, remedy, error);
  }
}

function parseKey(file: string, data: Buffer, remedy: string): { key: KeyObject; keyPem: string } {
  let key: KeyObject;
  try {
    // The PEM is passed as a string: a Buffer would also be tried as DER, hiding what is wrong.
    key = createPrivateKey({ key: data.toString('utf8'), format: 'pem' });
  } catch (error) {
    throw new KeyFileCorruptError(file, `not a valid PEM private key (${errorMessage(error)})`, remedy, error);
  }
  if (!isSupportedKey(key)) {
    throw new KeyFileCorruptError(
      file,
      `expected an RSA key of 2048 bits or more or an ECDSA P-256 key, found ${describeKey(key)}`,
      remedy,
    );
  }
  return { key, keyPem: exportPkcs8Pem(key) };
}

function caCommonName(now: Date): string {
  // Only characters that need no escaping in a distinguished name; the date tells CAs apart in a trust store.
  const host = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '')
    .slice(0, 40);
  const date = now.toISOString().slice(0, 10);
  return host === '' ? `Homegate Local CA ${date}` : `Homegate Local CA (${host}) ${date}`;
}

function canonicalIpOrSelf(address: string): string {
  try {
    return normalizeIpAddress(address);
  } catch {
    return address;
  }
}

async function warnIfShared(dir: string, logger: Logger): Promise<void> {
  if (process.platform === 'win32') return;
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger.warn('certificate directory is accessible to other users', { dir, mode: mode.toString(8) });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
