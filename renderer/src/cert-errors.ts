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

/** Where a cause is shown: a field of its own, or the certificate's or the key's field in the format used. */
type CauseField = ImportField | 'certificate' | 'key';

interface Cause {
  readonly match: RegExp;
  readonly field: CauseField;
  /** The plain words, or how to make them from the match and the whole message. */
  readonly text: string | ((found: RegExpExecArray, message: string) => string);
}

/** The causes in the order they are tried: the first whose pattern matches the message explains it. */
const CAUSES: readonly Cause[] = [
  {
    match:
      /^pfxBase64: not base64|^the PFX file is not a usable certificate file|^No certificate found in the PFX file/,
    field: 'pfx',
    text: 'This is not a PKCS#12 (.pfx or .p12) file, or it is damaged. Export the certificate together with its private key as .pfx again, or use the PEM files instead.',
  },
  {
    match: /^No private key found in the PFX file/,
    field: 'pfx',
    text: 'This .pfx file holds the certificate but not its private key. Export it again with the private key included.',
  },
  {
    match: /^Wrong passphrase/,
    field: 'passphrase',
    text: 'This passphrase does not open the file (or the file is damaged). Check it and try again.',
  },
  {
    match: /^the private key is not a usable certificate file: the private key is encrypted/,
    field: 'keyPem',
    text: 'This private key is protected by a passphrase, which cannot be entered here. Export the key without one, or import a .pfx file with its passphrase instead.',
  },
  {
    match: /^the private key is not a usable certificate file|^No private key found in the private key/,
    field: 'keyPem',
    text: 'This is not a private key in PEM format. Paste the text that starts with “-----BEGIN PRIVATE KEY-----” (or BEGIN RSA or EC PRIVATE KEY).',
  },
  {
    match: /^the certificate is not a usable certificate file|^No certificate found in the certificate/,
    field: 'certPem',
    text: 'This is not a certificate in PEM format. Paste the text that starts with “-----BEGIN CERTIFICATE-----”, or export the certificate as PEM (Base-64) where you got it.',
  },
  {
    match: /^The private key does not match/,
    field: 'key',
    text: 'This private key does not belong to the certificate. Use the key that was made together with this certificate.',
  },
  {
    match: /^Unsupported private key/,
    field: 'key',
    text: 'This kind of key cannot be used. Use a certificate with an ECDSA key (P-256, P-384 or P-521) or an RSA key of at least 2048 bits.',
  },
  {
    match: /^The certificate \(.*\) expired on (\S+)$/,
    field: 'certificate',
    text: (found) =>
      `This certificate expired on ${date(found[1])}. Renew it where you got it, then import the new one.`,
  },
  {
    match: /^The certificate \(.*\) is not valid before (\S+);/,
    field: 'certificate',
    text: (found) =>
      `This certificate is valid only from ${date(found[1]?.replace(/;$/, ''))}. Check this machine's clock, or import it then.`,
  },
  {
    match: /^The certificate has no subjectAltName/,
    field: 'certificate',
    text: (_found, message) => {
      const names = /needed for ([^)]+)\)/.exec(message)?.[1] ?? /for ([^(;]+?)(?: \(it covers|;)/.exec(message)?.[1];
      return `This certificate does not name ${names ? names.trim() : 'the gateway’s public names'}, which clients use to reach the gateway, so they would refuse it. Get one that includes them, or change the public names under Settings.`;
    },
  },
  {
    match: /^Not a TLS server certificate/,
    field: 'certificate',
    text: 'This is not a certificate for a server: it is a CA certificate, or one not meant for HTTPS servers. Import the gateway’s own certificate, with the chain after it.',
  },
];

function fieldFor(field: CauseField, format: 'pem' | 'pfx'): ImportField {
  if (field === 'certificate') return format === 'pem' ? 'certPem' : 'pfx';
  if (field === 'key') return format === 'pem' ? 'keyPem' : 'pfx';
  return field;
}

export function explainImportError(message: string, format: 'pem' | 'pfx'): ImportProblem {
  for (const cause of CAUSES) {
    const found = cause.match.exec(message);
    if (!found) continue;
    const text = typeof cause.text === 'string' ? cause.text : cause.text(found, message);
    return { field: fieldFor(cause.field, format), text };
  }
  return { field: 'form', text: message };
}
