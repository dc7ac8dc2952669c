/**
 * The gateway's reasons for refusing a certificate import (main/certs/errors.ts, with the handler naming the inputs
 * "the certificate", "the private key" and "the PFX file"), turned into plain words next to the field they are
 * about: what is wrong with the file and what to export instead. Pure, so it is unit-tested against the real
 * messages.
 */
export type ImportField = 'certPem' | 'keyPem' | 'pfx' | 'passphrase' | 'form';

export interface ImportProblem {
  readonly field: ImportField;
  readonly text: string;
}

const date = (iso: string | undefined): string => {
  const time = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(time)
    ? 'a date shown by the file'
    : new Date(time).toLocaleDateString(undefined, { dateStyle: 'long' });
};

export function explainImportError(message: string, format: 'pem' | 'pfx'): ImportProblem {
  const certField: ImportField = format === 'pem' ? 'certPem' : 'pfx';
  const keyField: ImportField = format === 'pem' ? 'keyPem' : 'pfx';
  if (
    /^pfxBase64: not base64|^the PFX file is not a usable certificate file|^No certificate found in the PFX file/.test(
      message,
    )
  ) {
    return {
      field: 'pfx',
      text: 'This is not a PKCS#12 (.pfx or .p12) file, or it is damaged. Export the certificate together with its private key as .pfx again, or use the PEM files instead.',
    };
  }
  if (/^No private key found in the PFX file/.test(message)) {
    return {
      field: 'pfx',
      text: 'This .pfx file holds the certificate but not its private key. Export it again with the private key included.',
    };
  }
  if (/^Wrong passphrase/.test(message)) {
    return {
      field: 'passphrase',
      text: 'This passphrase does not open the file (or the file is damaged). Check it and try again.',
    };
  }
  if (/^the private key is not a usable certificate file: the private key is encrypted/.test(message)) {
    return {
      field: 'keyPem',
      text: 'This private key is protected by a passphrase, which cannot be entered here. Export the key without one, or import a .pfx file with its passphrase instead.',
    };
  }
  if (/^the private key is not a usable certificate file|^No private key found in the private key/.test(message)) {
    return {
      field: 'keyPem',
      text: 'This is not a private key in PEM format. Paste the text that starts with “-----BEGIN PRIVATE KEY-----” (or BEGIN RSA or EC PRIVATE KEY).',
    };
  }
  if (/^the certificate is not a usable certificate file|^No certificate found in the certificate/.test(message)) {
    return {
      field: 'certPem',
      text: 'This is not a certificate in PEM format. Paste the text that starts with “-----BEGIN CERTIFICATE-----”, or export the certificate as PEM (Base-64) where you got it.',
    };
  }
  if (/^The private key does not match/.test(message)) {
    return {
      field: keyField,
      text: 'This private key does not belong to the certificate. Use the key that was made together with this certificate.',
    };
  }
  if (/^Unsupported private key/.test(message)) {
    return {
      field: keyField,
      text: 'This kind of key cannot be used. Use a certificate with an ECDSA key (P-256, P-384 or P-521) or an RSA key of at least 2048 bits.',
    };
  }
  const expired = /^The certificate \(.*\) expired on (\S+)$/.exec(message);
  if (expired) {
    return {
      field: certField,
      text: `This certificate expired on ${date(expired[1])}. Renew it where you got it, then import the new one.`,
    };
  }
  const early = /^The certificate \(.*\) is not valid before (\S+);/.exec(message);
  if (early) {
    return {
      field: certField,
      text: `This certificate is valid only from ${date(early[1]?.replace(/;$/, ''))}. Check this machine's clock, or import it then.`,
    };
  }
  if (/^The certificate has no subjectAltName/.test(message)) {
    const names = /needed for ([^)]+)\)/.exec(message)?.[1] ?? /for ([^(;]+?)(?: \(it covers|;)/.exec(message)?.[1];
    return {
      field: certField,
      text: `This certificate does not name ${names ? names.trim() : 'the gateway’s public names'}, which clients use to reach the gateway, so they would refuse it. Get one that includes them, or change the public names under Settings.`,
    };
  }
  if (/^Not a TLS server certificate/.test(message)) {
    return {
      field: certField,
      text: 'This is not a certificate for a server: it is a CA certificate, or one not meant for HTTPS servers. Import the gateway’s own certificate, with the chain after it.',
    };
  }
  return { field: 'form', text: message };
}
