import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECURE_SETTINGS } from '../../main/rdpfile/rdp-sign.ts';

/** The lines of an .rdp file written as UTF-16LE with BOM and CRLF. */
export function rdpLines(bytes: Buffer): string[] {
  assert.deepStrictEqual([...bytes.subarray(0, 2)], [0xff, 0xfe], 'UTF-16LE byte-order mark');
  return bytes.subarray(2).toString('utf16le').split('\r\n').slice(0, -1);
}

export interface OpensslResult {
  readonly status: number | null;
  readonly output: string;
}

/** The DER PKCS#7 SignedData of a signed .rdp file (the `signature` setting without its 12-byte header). */
function signatureDer(bytes: Buffer): Buffer {
  const signature = rdpLines(bytes)
    .find((line) => line.startsWith('signature:s:'))
    ?.slice('signature:s:'.length);
  assert.ok(signature !== undefined, 'signature present');
  return Buffer.from(signature, 'base64').subarray(12);
}

/**
 * What openssl reads in a signed .rdp file's PKCS#7: the signer's signature algorithm (`rsaEncryption`,
 * `ecdsa-with-SHA256`) and the signer certificate's public key algorithm (`rsaEncryption`, `id-ecPublicKey`).
 */
export function rdpSignatureKeyTypes(bytes: Buffer): { signature: string; signerKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'homegate-rdpkeys-'));
  try {
    const der = join(dir, 'sig.der');
    writeFileSync(der, signatureDer(bytes));
    const printed = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der], {
      encoding: 'utf8',
    });
    const signature = /signatureAlgorithm:\s*\n\s*algorithm: (\S+)/.exec(printed.stdout)?.[1] ?? '';
    const certs = spawnSync('openssl', ['pkcs7', '-inform', 'DER', '-in', der, '-print_certs'], { encoding: 'utf8' });
    // The first certificate printed is the signer's (the served certificate, then its chain).
    const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(certs.stdout)?.[0] ?? '';
    const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: first, encoding: 'utf8' });
    const signerKey = /Public Key Algorithm: (\S+)/.exec(text.stdout)?.[1] ?? '';
    return { signature, signerKey };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Verifies a signed .rdp file as a reader would, independently of the signer: rebuilds the signed text from the
 * file's `signscope` (each named setting's line from the file, then the signscope line; UTF-16LE + NUL), strips the
 * 12-byte header from `signature` and runs `openssl cms -verify` on the detached PKCS#7 (with `-CAfile`, or
 * `-noverify` to skip the chain).
 */
export function verifyRdpSignature(bytes: Buffer, trust: { caFile: string } | 'noverify'): OpensslResult {
  const lines = rdpLines(bytes);
  const byKey = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line]));
  const scopeLine = byKey.get('signscope');
  const signature = byKey.get('signature')?.slice('signature:s:'.length);
  assert.ok(scopeLine !== undefined && signature !== undefined, 'signscope and signature present');
  const keyOf = new Map(SECURE_SETTINGS.map(([scopeName, key]) => [scopeName, key]));
  const text =
    scopeLine
      .slice('signscope:s:'.length)
      .split(',')
      .map((name) => `${byKey.get(keyOf.get(name) ?? '') ?? ''}\r\n`)
      .join('') + `${scopeLine}\r\n`;
  const blob = Buffer.from(signature, 'base64');
  assert.deepEqual([...blob.subarray(0, 8)], [1, 0, 1, 0, 1, 0, 0, 0], 'the 12-byte header');
  assert.equal(blob.readUInt32LE(8), blob.length - 12, 'the header holds the DER length');
  const dir = mkdtempSync(join(tmpdir(), 'homegate-rdpverify-'));
  try {
    const content = join(dir, 'content.bin');
    const der = join(dir, 'sig.der');
    writeFileSync(content, Buffer.concat([Buffer.from(text, 'utf16le'), Buffer.alloc(2)]));
    writeFileSync(der, blob.subarray(12));
    const trustArgs = trust === 'noverify' ? ['-noverify'] : ['-CAfile', trust.caFile, '-purpose', 'any'];
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', content, ...trustArgs];
    const result = spawnSync('openssl', [...args, '-out', '/dev/null'], { encoding: 'utf8' });
    return { status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
