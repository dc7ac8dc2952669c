import { createPrivateKey, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { ensurePrivateDir } from '../util/fs-atomic.ts';
import {
  CertificateAuthorityExpiredError,
  KeyFileCorruptError,
  KeyFileMissingError,
  KeyMismatchError,
} from './errors.ts';
import { fingerprintSha256OfDer } from './fingerprint.ts';
import {
  createLocalCa,
  exportPkcs8Pem,
  isEcP256Key,
  issueServerCertificate,
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
import { defaultSubjectAltNames, normalizeIpAddress, type SubjectAltNames } from './subject-alt-names.ts';
import { x509 } from './x509.ts';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const SERVER_CERT_FILE = 'server.pem';
export const SERVER_KEY_FILE = 'server-key.pem';
/** The server certificate is re-issued when it has less than this left. */
export const RENEW_BEFORE_EXPIRY_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Everything the TLS listener and the UI need; PEM strings end with a newline. */
export interface TlsMaterial {
  /** The local CA certificate that clients install as trusted. */
  readonly caCertPem: string;
  /** The server (leaf) certificate. */
  readonly certPem: string;
  /** The server private key, PKCS#8 PEM. Never log it. */
  readonly keyPem: string;
  /** Server certificate followed by the CA certificate: the `cert` for `tls.createServer`. */
  readonly chainPem: string;
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
}

/** Why a server certificate is (re-)issued; logged as the `reason` field. */
export type IssueReason =
  | 'missing'
  | 'key-missing'
  | 'certificate-missing'
  | 'not-issued-by-ca'
  | 'not-yet-valid'
  | 'expiring'
  | 'names-changed';

interface CertificatePaths {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

interface Context {
  readonly paths: CertificatePaths;
  readonly codec: SecretCodec;
  readonly logger: Logger;
  readonly now: Date;
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

/**
 * Loads the gateway's TLS material from `dir`, creating what is missing:
 * - first run: a local CA (ca.pem, ca-key.pem) and a server certificate from it (server.pem, server-key.pem);
 * - later runs: loads them, and re-issues the server certificate from the same CA when it is missing,
 *   expires within RENEW_BEFORE_EXPIRY_DAYS, is not valid yet, was not issued by this CA, or does not cover
 *   every wanted name (public names, host name, LAN addresses). A renewal keeps the server key.
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
    paths: {
      caCert: join(dir, CA_CERT_FILE),
      caKey: join(dir, CA_KEY_FILE),
      serverCert: join(dir, SERVER_CERT_FILE),
      serverKey: join(dir, SERVER_KEY_FILE),
    },
    codec: options.secretCodec ?? IDENTITY_SECRET_CODEC,
    logger: options.logger,
    now: (options.now ?? (() => new Date()))(),
  };

  await ensurePrivateDir(dir);
  await warnIfShared(dir, context.logger);

  const ca = await loadOrCreateCa(context);
  const server = await loadOrIssueServerCertificate(context, ca, wanted);

  return Object.freeze({
    caCertPem: ca.cert.pem,
    certPem: server.cert.pem,
    keyPem: server.keyPem,
    chainPem: server.cert.pem + ca.cert.pem,
    fingerprintSha256: fingerprintSha256OfDer(server.cert.node.raw),
    dnsNames: [...server.cert.names.dnsNames],
    ipAddresses: [...server.cert.names.ipAddresses],
    notAfter: server.cert.notAfter,
    caFingerprintSha256: fingerprintSha256OfDer(ca.cert.node.raw),
  });
}

async function loadOrCreateCa(context: Context): Promise<LoadedPair> {
  const { paths, codec, logger, now } = context;
  const certFile = await readOptionalFile(paths.caCert);
  const keyData = await readOptionalSecretFile(paths.caKey, codec, logger);

  if (certFile === undefined && keyData === undefined) {
    const created = await createLocalCa({ commonName: caCommonName(now), now });
    const ca = parsePair(created, paths.caCert, paths.caKey, CA_REMEDY);
    // Key first: if we stop in between, the next run finds a key without a certificate and says so,
    // instead of a certificate whose key is lost.
    await writeSecretFile(paths.caKey, Buffer.from(created.keyPem), codec);
    await writePublicFile(paths.caCert, created.certPem);
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
): Promise<LoadedPair> {
  const { paths, codec, logger, now } = context;
  const certFile = await readOptionalFile(paths.serverCert);
  const keyData = await readOptionalSecretFile(paths.serverKey, codec, logger);

  let reason: IssueReason | undefined;
  let keyToKeep: string | undefined;
  let missing: string[] = [];
  if (keyData === undefined) {
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
    ...(keyToKeep === undefined ? {} : { keyPem: keyToKeep }),
  });
  const server = parsePair(issued, paths.serverCert, paths.serverKey, SERVER_REMEDY);
  // Certificate first: if we stop in between, the next run finds no key (or the kept one) and issues again.
  await writePublicFile(paths.serverCert, issued.certPem);
  if (keyToKeep === undefined) await writeSecretFile(paths.serverKey, Buffer.from(issued.keyPem), codec);
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
  if (!isEcP256Key(key)) {
    const details = key.asymmetricKeyDetails?.namedCurve ?? '';
    throw new KeyFileCorruptError(
      file,
      `expected an ECDSA P-256 key, found ${key.asymmetricKeyType ?? 'unknown'} ${details}`.trimEnd(),
      remedy,
    );
  }
  return { key, keyPem: exportPkcs8Pem(key) };
}

/**
 * Proves possession rather than comparing encodings: a fresh nonce signed with the private key must verify
 * with the certificate's public key. This also catches a PKCS#8 file whose embedded public key is wrong.
 */
function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  const nonce = randomBytes(32);
  try {
    return verify('sha256', nonce, cert.publicKey, sign('sha256', nonce, key));
  } catch {
    // Different key types (an RSA certificate with an EC key) throw instead of returning false.
    return false;
  }
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
