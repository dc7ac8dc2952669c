import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import type { SubjectAltNames } from './subject-alt-names.ts';
import { x509, x509Crypto } from './x509.ts';

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface CertificateWithKey {
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** About ten years: the CA is installed on clients by hand, so it should rarely change. */
export const CA_VALIDITY_DAYS = 3652;
/**
 * Apple platforms reject TLS server certificates valid for more than 398 days (measured from notBefore
 * to notAfter), whoever issued them; 397 keeps a day of margin.
 */
export const SERVER_CERT_VALIDITY_DAYS = 397;
/** notBefore is set this far in the past so that a client whose clock is a little behind accepts it. */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60 * 1000;
const SERIAL_NUMBER_BYTES = 16;

/**
 * The key types the local CA and server certificate are made with. RSA is the default: no one has confirmed that
 * MSTSC verifies an ECDSA rdpsign signature (the .rdp file is signed with the server certificate's key), and some
 * older clients reject EC certificates. ECDSA P-256 is offered as a setting (`tls.keyType`).
 */
export const CERTIFICATE_KEY_TYPES = ['rsa-2048', 'rsa-3072', 'ecdsa-p256'] as const;
export type CertificateKeyType = (typeof CERTIFICATE_KEY_TYPES)[number];
export const DEFAULT_CERTIFICATE_KEY_TYPE: CertificateKeyType = 'rsa-2048';
/** The smallest RSA modulus a loaded key may have. */
const MIN_RSA_BITS = 2048;

type KeyAlgorithm = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
type SigningAlgorithm = webcrypto.RsaPssParams | webcrypto.EcdsaParams | webcrypto.Algorithm;

const generateKeyPairAsync = promisify(generateKeyPair);

/** A new private key of `type` as PKCS#8 PEM. */
export async function generatePrivateKeyPem(type: CertificateKeyType = DEFAULT_CERTIFICATE_KEY_TYPE): Promise<string> {
  const { privateKey } =
    type === 'ecdsa-p256'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : await generateKeyPairAsync('rsa', { modulusLength: type === 'rsa-3072' ? 3072 : 2048 });
  return exportPkcs8Pem(privateKey);
}

/** True when `key` is a kind this module issues with: EC on P-256 (prime256v1), or RSA of 2048 bits or more. */
export function isSupportedKey(key: KeyObject): boolean {
  if (key.asymmetricKeyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
}

/** `rsa 2048`, `ec prime256v1`: for messages. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  const size = details?.namedCurve ?? (details?.modulusLength === undefined ? '' : String(details.modulusLength));
  return `${key.asymmetricKeyType ?? 'unknown'} ${size}`.trimEnd();
}

export function exportPkcs8Pem(privateKey: KeyObject): string {
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export interface CreateLocalCaOptions {
  /** Shown in the client's certificate store, so it should say whose gateway this is. */
  commonName: string;
  now: Date;
  /** Default RSA 2048. */
  keyType?: CertificateKeyType;
}

/** Creates a self-signed CA that may only sign end-entity certificates (pathLen 0). */
export async function createLocalCa(options: CreateLocalCaOptions): Promise<CertificateWithKey> {
  const keyPem = await generatePrivateKeyPem(options.keyType);
  const signingKey = await importSigningKey(keyPem);
  const publicKey = await importPublicKey(keyPem);
  // One attribute per RDN, as JSON: no DN string escaping to get wrong.
  const name: x509.JsonName = [{ CN: [options.commonName] }, { O: ['Homegate'] }];
  const notBefore = new Date(options.now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumberHex(),
      subject: name,
      issuer: name,
      notBefore,
      notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      publicKey,
      signingKey,
      signingAlgorithm: signingAlgorithmOf(keyPem),
      extensions: [
        // pathLen 0: even if the CA key leaked, it could not mint intermediate CAs.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return { certPem: toPem(cert), keyPem };
}

export interface IssueServerCertificateOptions {
  ca: CertificateWithKey;
  names: SubjectAltNames;
  now: Date;
  /** Keep this PKCS#8 key (a renewal); a new key of `keyType` is generated when absent. */
  keyPem?: string;
  /** Default RSA 2048. */
  keyType?: CertificateKeyType;
}

/**
 * Issues a TLS server certificate from `ca` for `names`. The subject CN is the first DNS name (clients
 * match on the SAN; the CN is only what they display). Its validity never extends past the CA's.
 */
export async function issueServerCertificate(options: IssueServerCertificateOptions): Promise<CertificateWithKey> {
  const { ca, names, now } = options;
  const commonName = names.dnsNames[0];
  if (commonName === undefined) throw new TypeError('A server certificate needs at least one DNS name');

  const caCert = new x509.X509Certificate(ca.certPem);
  const caSigningKey = await importSigningKey(ca.keyPem);
  const keyPem =
    options.keyPem === undefined ? await generatePrivateKeyPem(options.keyType) : normalizeKeyPem(options.keyPem);
  const publicKey = await importPublicKey(keyPem);

  const notBefore = new Date(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
  const wantedNotAfter = new Date(notBefore.getTime() + SERVER_CERT_VALIDITY_DAYS * DAY_MS);
  const notAfter = wantedNotAfter > caCert.notAfter ? caCert.notAfter : wantedNotAfter;

  // The authority key identifier must equal the CA's subject key identifier for chain building; copy it
  // when the CA has one rather than recomputing it (another tool may have used another method).
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const authorityKeyIdentifier =
    caKeyId === undefined
      ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, x509Crypto)
      : new x509.AuthorityKeyIdentifierExtension(caKeyId, false);

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumberHex(),
      subject: [{ CN: [commonName] }],
      issuer: caCert.subjectName,
      notBefore,
      notAfter,
      publicKey,
      signingKey: caSigningKey,
      signingAlgorithm: signingAlgorithmOf(ca.keyPem),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          [
            ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
            ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
          ],
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, x509Crypto),
        authorityKeyIdentifier,
      ],
    },
    x509Crypto,
  );
  return { certPem: toPem(cert), keyPem };
}

/**
 * A random positive serial of exactly 16 bytes: the top bit is cleared (DER integers are signed) and the
 * first byte is never zero (DER would drop it). That leaves 127 random bits, far above the 64 required.
 */
function randomSerialNumberHex(): string {
  const bytes = randomBytes(SERIAL_NUMBER_BYTES);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/** Re-exports any private key PEM node understands (PKCS#8, SEC1) as PKCS#8. */
function normalizeKeyPem(keyPem: string): string {
  return exportPkcs8Pem(createPrivateKey(keyPem));
}

/** RSA keys sign as RSASSA-PKCS1-v1_5 with SHA-256 (what every client verifies), EC keys as ECDSA with SHA-256. */
function keyAlgorithmOf(keyPem: string): KeyAlgorithm {
  return createPrivateKey(keyPem).asymmetricKeyType === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signingAlgorithmOf(keyPem: string): SigningAlgorithm {
  return createPrivateKey(keyPem).asymmetricKeyType === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : { name: 'ECDSA', hash: 'SHA-256' };
}

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  return x509Crypto.subtle.importKey('pkcs8', der, keyAlgorithmOf(keyPem), false, ['sign']);
}

async function importPublicKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = createPublicKey(keyPem).export({ format: 'der', type: 'spki' });
  return x509Crypto.subtle.importKey('spki', der, keyAlgorithmOf(keyPem), true, ['verify']);
}
