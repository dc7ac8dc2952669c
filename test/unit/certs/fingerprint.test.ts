import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { fingerprintSha256, fingerprintSha256OfDer } from '../../../main/certs/fingerprint.ts';
import { createLocalCa } from '../../../main/certs/local-ca.ts';

describe('fingerprintSha256', () => {
  it('is the SHA-256 of the DER as colon-separated uppercase hex', async () => {
    const { certPem } = await createLocalCa({ commonName: 'fingerprint test', now: new Date() });
    const der = new X509Certificate(certPem).raw;
    const fingerprint = fingerprintSha256(certPem);
    assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(fingerprint.replaceAll(':', ''), createHash('sha256').update(der).digest('hex').toUpperCase());
    assert.equal(fingerprint, new X509Certificate(certPem).fingerprint256);
    assert.equal(fingerprintSha256OfDer(der), fingerprint);
  });

  it('formats short input without a trailing colon', () => {
    assert.equal(fingerprintSha256OfDer(new Uint8Array()).split(':').length, 32);
  });

  it('throws on something that is not a certificate', () => {
    assert.throws(() => fingerprintSha256('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'));
  });
});
