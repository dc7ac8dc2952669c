/**
 * The TLS material of the bench's own relays (nginx, the bare Node relay): a self-signed certificate for
 * `localhost`, made with openssl, of the gateway's key type (a full handshake signs with it: RSA 2048 costs several
 * times what ECDSA P-256 does), and the TLS 1.3 suites in Homegate's order, so every relay negotiates one cipher.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateKeyType } from '../../main/certs/local-ca.ts';

/** Homegate's TLS 1.3 order (`main/gateway/http/gateway-server.ts`): AES-128-GCM first (AES-NI). */
export const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** `openssl req -newkey` arguments for each of Homegate's key types. */
const NEW_KEY_ARGUMENTS: Readonly<Record<CertificateKeyType, readonly string[]>> = {
  'rsa-2048': ['rsa:2048'],
  'rsa-3072': ['rsa:3072'],
  'ecdsa-p256': ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
};

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
}

/** Writes `cert.pem` and `key.pem` (unencrypted, valid two days) into `dir`. */
export async function makeCertificate(dir: string, keyType: CertificateKeyType): Promise<CertificateFiles> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      ...NEW_KEY_ARGUMENTS[keyType],
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}
