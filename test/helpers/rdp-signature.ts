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
