/** `homegate cert export-ca`: the local CA as PEM and DER, both read back by openssl. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CA_CERT_FILE } from '../../../main/certs/certificate-store.ts';
import { main } from '../../../main/cli.ts';
import { openssl } from '../../helpers/openssl-certs.ts';

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text) }, () =>
    Promise.resolve('SIGTERM'),
  );
  return { code, stdout, stderr };
}

describe('homegate cert export-ca', { timeout: 30_000 }, () => {
  let dataDir: string;
  let caPem: string;
  let caFingerprint: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'homegate-export-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the CA when there is none yet and writes it as PEM that openssl reads', async () => {
    const out = join(dataDir, 'homegate-ca.pem');
    const result = await run(['cert', 'export-ca', '--out', out, '--data-dir', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    caPem = await readFile(join(dataDir, 'tls', CA_CERT_FILE), 'utf8');
    caFingerprint = new X509Certificate(caPem).fingerprint256;
    assert.equal(await readFile(out, 'utf8'), caPem);
    assert.match(result.stdout, new RegExp(`SHA-256 ${caFingerprint}`));
    if (process.platform !== 'win32') assert.equal((await stat(out)).mode & 0o777, 0o644);

    const text = await openssl([
      'x509',
      '-in',
      out,
      '-noout',
      '-subject',
      '-fingerprint',
      '-sha256',
      '-ext',
      'basicConstraints',
    ]);
    assert.match(text, /subject=CN = Homegate Local CA/);
    assert.match(text, new RegExp(`sha256 Fingerprint=${caFingerprint}`, 'i'));
    assert.match(text, /CA:TRUE/);
  });

  it('writes DER that openssl reads as the same certificate', async () => {
    const out = join(dataDir, 'homegate-ca.cer');
    const result = await run(['cert', 'export-ca', '--out', out, '--format', 'der', '--data-dir', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    const der = await readFile(out);
    assert.equal(der[0], 0x30, 'a DER SEQUENCE, not PEM text');
    assert.equal(new X509Certificate(der).fingerprint256, caFingerprint);
    const back = await openssl(['x509', '-inform', 'DER', '-in', out, '-outform', 'PEM']);
    assert.equal(back, caPem);
  });

  it('refuses an unknown format and a missing --out', async () => {
    const bad = await run(['cert', 'export-ca', '--out', join(dataDir, 'x'), '--format', 'p7b', '--data-dir', dataDir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format takes pem or der/);
    const missing = await run(['cert', 'export-ca', '--data-dir', dataDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--out is required/);
  });
});
