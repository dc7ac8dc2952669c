import { createHash, X509Certificate } from 'node:crypto';

/**
 * SHA-256 over the certificate's DER encoding, as colon-separated uppercase hex (`AB:CD:...`): the form
 * `openssl x509 -fingerprint -sha256` and browsers show, so a user can compare it by eye.
 * `pem` holds one certificate (the first one is used if it holds several). Throws if it is not a certificate.
 */
export function fingerprintSha256(pem: string): string {
  return fingerprintSha256OfDer(new X509Certificate(pem).raw);
}

export function fingerprintSha256OfDer(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}
