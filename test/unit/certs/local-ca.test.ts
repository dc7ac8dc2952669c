import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fingerprintSha256 } from '../../../main/certs/fingerprint.ts';
import {
  CLOCK_SKEW_ALLOWANCE_MS,
  createLocalCa,
  issueServerCertificate,
  SERVER_CERT_VALIDITY_DAYS,
  type CertificateWithKey,
} from '../../../main/certs/local-ca.ts';

const execFileAsync = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs the real openssl CLI: an independent check of what @peculiar/x509 produced. */
async function openssl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('openssl', args);
  return stdout;
}

const KEY_TYPES = [
  // The default: RSA, which every client accepts and MSTSC verifies in an rdpsign signature.
  { keyType: undefined, keyText: /Private-Key: \(2048 bit/, signature: 'sha256WithRSAEncryption' },
  { keyType: 'ecdsa-p256', keyText: /ASN1 OID: prime256v1/, signature: 'ecdsa-with-SHA256' },
] as const;

for (const { keyType, keyText, signature } of KEY_TYPES) {
  describe(`local CA and server certificate, ${keyType ?? 'default key type'} (checked with the openssl CLI)`, () => {
    const names = { dnsNames: ['localhost', 'gw.example.test'], ipAddresses: ['127.0.0.1', '::1', '192.0.2.10'] };
    const now = new Date();
    let dir: string;
    let ca: CertificateWithKey;
    let server: CertificateWithKey;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'homegate-local-ca-'));
      ca = await createLocalCa({ commonName: 'Homegate Local CA (test)', now, ...(keyType ? { keyType } : {}) });
      server = await issueServerCertificate({ ca, names, now, ...(keyType ? { keyType } : {}) });
      await writeFile(join(dir, 'ca.pem'), ca.certPem);
      await writeFile(join(dir, 'server.pem'), server.certPem);
      await writeFile(join(dir, 'server-key.pem'), server.keyPem);
      await writeFile(join(dir, 'ca-key.pem'), ca.keyPem);
    });

    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('the server certificate verifies against the CA', async () => {
      const out = await openssl('verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem'));
      assert.match(out, /server\.pem: OK/);
    });

    it('has the DNS and IP entries in its subjectAltName', async () => {
      const out = await openssl('x509', '-noout', '-ext', 'subjectAltName', '-in', join(dir, 'server.pem'));
      for (const entry of [
        'DNS:localhost',
        'DNS:gw.example.test',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        'IP Address:192.0.2.10',
      ]) {
        assert.ok(out.includes(entry), `${entry} missing from ${out}`);
      }
    });

    it('has the server extensions: serverAuth, digitalSignature, not a CA, key identifiers', async () => {
      const out = await openssl('x509', '-noout', '-text', '-in', join(dir, 'server.pem'));
      assert.match(out, /Basic Constraints: critical\s+CA:FALSE/);
      assert.match(out, /Key Usage: critical\s+Digital Signature\n/);
      assert.match(out, /Extended Key Usage:\s*\n\s+TLS Web Server Authentication\n/);
      assert.match(out, /Subject: CN = localhost/);
      assert.match(out, new RegExp(`Signature Algorithm: ${signature}`));
      const caText = await openssl('x509', '-noout', '-text', '-in', join(dir, 'ca.pem'));
      const ski = /Subject Key Identifier:\s*\n\s+([0-9A-F:]+)/.exec(caText)?.[1];
      const aki = /Authority Key Identifier:\s*\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(out)?.[1];
      assert.ok(ski !== undefined && ski === aki, `AKI ${aki} should equal the CA's SKI ${ski}`);
    });

    it('the CA is a critical CA:TRUE with keyCertSign and cRLSign, about ten years', async () => {
      const out = await openssl('x509', '-noout', '-text', '-in', join(dir, 'ca.pem'));
      assert.match(out, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      assert.match(out, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
      assert.match(out, /Subject Key Identifier/);
      const cert = new X509Certificate(ca.certPem);
      const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * DAY_MS);
      assert.ok(years > 9.9 && years < 10.1, `CA validity ${years} years`);
    });

    it(`keys are ${keyType ?? 'RSA 2048'} in PKCS#8 PEM`, async () => {
      for (const file of ['server-key.pem', 'ca-key.pem']) {
        const out = await openssl('pkey', '-noout', '-text', '-in', join(dir, file));
        assert.match(out, keyText);
      }
      assert.match(server.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.ok(new X509Certificate(server.certPem).checkPrivateKey(createPrivateKey(server.keyPem)));
    });

    it('the server certificate is valid for 397 days, starting just before now', () => {
      const cert = new X509Certificate(server.certPem);
      const notBefore = Date.parse(cert.validFrom);
      const notAfter = Date.parse(cert.validTo);
      assert.equal(notAfter - notBefore, SERVER_CERT_VALIDITY_DAYS * DAY_MS);
      // X.509 times have one-second resolution.
      assert.ok(Math.abs(notBefore - (now.getTime() - CLOCK_SKEW_ALLOWANCE_MS)) < 1000);
    });

    it('uses a random positive 16-byte serial number', async () => {
      const serials = new Set<string>();
      for (const file of ['ca.pem', 'server.pem']) {
        const out = await openssl('x509', '-noout', '-serial', '-in', join(dir, file));
        const serial = out.trim().replace(/^serial=/, '');
        assert.match(serial, /^[0-7][0-9A-F]{31}$/, `serial ${serial}`);
        assert.notEqual(serial.slice(0, 2), '00');
        serials.add(serial);
      }
      assert.equal(serials.size, 2);
    });

    it('fingerprintSha256 equals openssl x509 -fingerprint -sha256', async () => {
      const out = await openssl('x509', '-noout', '-fingerprint', '-sha256', '-in', join(dir, 'server.pem'));
      const expected = out.trim().replace(/^sha256 Fingerprint=/i, '');
      assert.equal(fingerprintSha256(server.certPem), expected);
      assert.match(expected, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(fingerprintSha256(server.certPem), new X509Certificate(server.certPem).fingerprint256);
    });

    it('keeps a given key on renewal and never outlives the CA', async () => {
      const later = new Date(now.getTime() + 3650 * DAY_MS);
      const renewed = await issueServerCertificate({ ca, names, now: later, keyPem: server.keyPem });
      assert.equal(renewed.keyPem, server.keyPem);
      const caCert = new X509Certificate(ca.certPem);
      const cert = new X509Certificate(renewed.certPem);
      assert.equal(cert.validTo, caCert.validTo);
      assert.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey));
    });

    it('refuses to issue without a DNS name', async () => {
      await assert.rejects(
        issueServerCertificate({ ca, names: { dnsNames: [], ipAddresses: ['127.0.0.1'] }, now }),
        /at least one DNS name/,
      );
    });
  });
}

describe('key types', () => {
  it('rsa-3072 gives a 3072-bit RSA key; a mixed chain (RSA server, ECDSA CA) verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homegate-local-ca-'));
    try {
      const now = new Date();
      const ca = await createLocalCa({ commonName: 'Homegate Local CA (test)', now, keyType: 'ecdsa-p256' });
      const names = { dnsNames: ['localhost'], ipAddresses: [] };
      const server = await issueServerCertificate({ ca, names, now, keyType: 'rsa-3072' });
      await writeFile(join(dir, 'ca.pem'), ca.certPem);
      await writeFile(join(dir, 'server.pem'), server.certPem);
      await writeFile(join(dir, 'server-key.pem'), server.keyPem);
      assert.match(
        await openssl('pkey', '-noout', '-text', '-in', join(dir, 'server-key.pem')),
        /Private-Key: \(3072 bit/,
      );
      assert.match(await openssl('verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem')), /OK/);
      const text = await openssl('x509', '-noout', '-text', '-in', join(dir, 'server.pem'));
      assert.match(text, /Public Key Algorithm: rsaEncryption/);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
