/**
 * Reading PKCS#12 (PFX) files with node-forge: Node's crypto cannot open them.
 *
 * What node-forge 1.4.3 handles (checked against OpenSSL 3.0 output in test/unit/certs/certificate-import.test.ts):
 * - integrity: HMAC with SHA-1, SHA-256, SHA-384, SHA-512 (OpenSSL 3's default is SHA-256), or no MAC;
 * - encryption: PBES2 (PBKDF2 + AES-128/192/256-CBC or 3DES; OpenSSL 3's default is AES-256-CBC) and the legacy
 *   PKCS#12 PBEs pbeWithSHAAnd3-KeyTripleDES-CBC and pbeWithSHAAnd40BitRC2-CBC (`openssl pkcs12 -legacy`, older
 *   Windows exports);
 * - key types: forge only understands RSA itself. For any other key (ECDSA) and for certificates with a non-RSA
 *   public key it still decrypts the bag and hands back the raw ASN.1, which we pass to Node's crypto as DER.
 *   So we take DER from every bag, whatever forge made of it.
 */
import forge from 'node-forge';

export interface Pkcs12Contents {
  /** Every certificate in the file, DER, in file order. */
  readonly certificates: Buffer[];
  /** Every private key in the file, PKCS#8 DER. */
  readonly keys: Buffer[];
}

/** The passphrase did not open the file (MAC mismatch, or undecryptable bags in a file without a MAC). */
export class Pkcs12PassphraseError extends Error {
  constructor(cause: unknown) {
    super('PKCS#12 integrity check or decryption failed', { cause });
    this.name = 'Pkcs12PassphraseError';
  }
}

/** The bytes are not a PKCS#12 structure forge can read. */
export class Pkcs12FormatError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Pkcs12FormatError';
  }
}

const PASSPHRASE_FAILURES = [
  'MAC could not be verified',
  'Unable to decrypt PKCS#8 ShroudedKeyBag',
  'Failed to decrypt PKCS#12 SafeContents',
];

/**
 * Opens a PKCS#12 file with `passphrase`. An empty passphrase is tried both as the empty string and as "no
 * password": tools disagree on how to encode it (OpenSSL's `-passout pass:` gives the first).
 */
export function readPkcs12(data: Buffer, passphrase: string): Pkcs12Contents {
  let asn1: forge.asn1.Asn1;
  try {
    // strict: reject BER length forms a DER file never has; forge reads a binary string.
    asn1 = forge.asn1.fromDer(data.toString('binary'), true);
  } catch (error) {
    throw new Pkcs12FormatError(`not DER-encoded (${messageOf(error)})`, error);
  }
  const attempts: (string | undefined)[] = passphrase === '' ? ['', undefined] : [passphrase];
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      const pfx =
        attempt === undefined
          ? forge.pkcs12.pkcs12FromAsn1(asn1, true)
          : forge.pkcs12.pkcs12FromAsn1(asn1, true, attempt);
      return collect(pfx);
    } catch (error) {
      lastError = error;
      if (!isPassphraseFailure(error)) break;
    }
  }
  if (isPassphraseFailure(lastError)) throw new Pkcs12PassphraseError(lastError);
  throw new Pkcs12FormatError(`not a readable PKCS#12 file (${messageOf(lastError)})`, lastError);
}

function collect(pfx: forge.pkcs12.Pkcs12Pfx): Pkcs12Contents {
  const certificates: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const contents of pfx.safeContents) {
    for (const bag of contents.safeBags) {
      if (bag.type === forge.pki.oids.certBag) {
        const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
        certificates.push(toBuffer(asn1));
      } else if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) {
        // forge parsed RSA keys into its own type (and then dropped the ASN.1); wrap them back into PKCS#8.
        const asn1 = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
        keys.push(toBuffer(asn1));
      }
      // Other bag types (CRLs, secrets) are not ours to use.
    }
  }
  return { certificates, keys };
}

function toBuffer(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function isPassphraseFailure(error: unknown): boolean {
  const message = messageOf(error);
  return PASSPHRASE_FAILURES.some((fragment) => message.includes(fragment));
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  // forge throws plain strings or objects in a few places.
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
