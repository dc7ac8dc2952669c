/**
 * `prepareImport` against certificates and PKCS#12 files made by the real openssl (OpenSSL 3): every accepted
 * form, and every refusal with its exact error.
 */
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  prepareImport,
  readImportFile,
  type CheckOptions,
  type ImportSource,
} from '../../../main/certs/certificate-import.ts';
import type { CertificateImportError } from '../../../main/certs/errors.ts';
import {
  ImportExpiredError,
  ImportFileGarbledError,
  ImportFileUnreadableError,
  ImportKeyMismatchError,
  ImportNameNotCoveredError,
  ImportNoKeyError,
  ImportNotServerCertificateError,
  ImportNotYetValidError,
  ImportUnsupportedKeyError,
  ImportWrongPassphraseError,
} from '../../../main/certs/errors.ts';
import { makeLeaf, makePfx, makeTestCa, openssl, type MadeCa, type MadeLeaf } from '../../helpers/openssl-certs.ts';

const NAMES = ['gw.example.test', '203.0.113.7'];

/** Asserts that `fn` throws exactly `type` with exactly `message` and `code`. */
function assertImportError(
  fn: () => unknown,
  type: abstract new (...args: never[]) => CertificateImportError,
  code: string,
  message: string | RegExp,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('prepareImport (files from openssl)', { timeout: 60_000 }, () => {
  let dir: string;
  let ca: MadeCa;
  let good: MadeLeaf;
  let goodCert: X509Certificate;
  /** Fresh each time: openssl sets notBefore to the second it ran. */
  let options: CheckOptions;

  const file = async (path: string) => readImportFile(path);
  const pem = async (cert: string, key?: string, passphrase?: string): Promise<ImportSource> => ({
    kind: 'pem',
    cert: await file(cert),
    ...(key === undefined ? {} : { key: await file(key) }),
    ...(passphrase === undefined ? {} : { passphrase }),
  });
  const pfx = async (path: string, passphrase: string): Promise<ImportSource> => ({
    kind: 'pfx',
    file: await file(path),
    passphrase,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-import-'));
    ca = await makeTestCa(dir, 'root');
    good = await makeLeaf(dir, 'good', { names: NAMES, ca, days: 90 });
    goodCert = new X509Certificate(await readFile(good.certFile));
    const publicNames = ['gw.example.test', 'GW.Example.Test', '203.0.113.7'];
    options = {
      publicNames,
      get now() {
        return new Date();
      },
    };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('accepts', () => {
    it('a PEM chain and a separate PEM key, leaf first, key as PKCS#8', async () => {
      const prepared = prepareImport(await pem(good.chainFile, good.keyFile), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
      const chain = prepared.chainPem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
      assert.equal(chain.length, 2, 'the leaf and its CA');
      assert.equal(new X509Certificate(prepared.chainPem).fingerprint256, goodCert.fingerprint256, 'leaf first');
      assert.match(prepared.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.deepEqual(prepared.names, { dnsNames: ['gw.example.test'], ipAddresses: ['203.0.113.7'] });
      assert.deepEqual(prepared.warnings, []);
    });

    it('a chain given issuer first, and a combined file holding certificate and key', async () => {
      const combined = join(dir, 'combined.pem');
      const [leafPem, caPem, keyPem] = await Promise.all(
        [good.certFile, ca.certFile, good.keyFile].map((path) => readFile(path, 'utf8')),
      );
      await writeFile(combined, `${caPem}${keyPem}${leafPem}`);
      const prepared = prepareImport(await pem(combined), options);
      assert.equal(new X509Certificate(prepared.chainPem).fingerprint256, goodCert.fingerprint256);
      assert.ok(prepared.chainPem.endsWith(caPem), 'the CA follows the leaf');
    });

    it('a DER certificate file with a PEM key', async () => {
      const der = join(dir, 'good.cer');
      await openssl(['x509', '-in', good.certFile, '-outform', 'DER', '-out', der]);
      const prepared = prepareImport(await pem(der, good.keyFile), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
    });

    it('an encrypted PEM key with its passphrase', async () => {
      const encrypted = join(dir, 'good-key-enc.pem');
      const passFile = join(dir, 'enc.pass');
      await writeFile(passFile, 'pem secret\n');
      await openssl(['pkcs8', '-topk8', '-in', good.keyFile, '-out', encrypted, '-passout', `file:${passFile}`]);
      const prepared = prepareImport(await pem(good.chainFile, encrypted, 'pem secret'), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
    });

    it('a PFX from `openssl pkcs12 -export` (OpenSSL 3 defaults: PBES2 AES-256, SHA-256 MAC) with an EC key', async () => {
      const path = await makePfx(dir, 'good', {
        leaf: good,
        passphrase: 'correct horse',
        extraCertFiles: [ca.certFile],
      });
      const prepared = prepareImport(await pfx(path, 'correct horse'), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
      assert.equal((prepared.chainPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
      assert.equal(prepared.keyPem, (await readFile(good.keyFile, 'utf8')).replace(/\r\n/g, '\n'));
    });

    it('a legacy PFX (`-legacy`: RC2/3DES, SHA-1 MAC), as older Windows exports', async () => {
      const path = await makePfx(dir, 'legacy', { leaf: good, passphrase: 'old', legacy: true });
      const prepared = prepareImport(await pfx(path, 'old'), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
    });

    it('a PFX with an RSA key', async () => {
      const rsa = await makeLeaf(dir, 'rsa', { names: NAMES, ca, keyType: 'rsa', days: 90 });
      const path = await makePfx(dir, 'rsa', { leaf: rsa, passphrase: 'rsa pass' });
      const prepared = prepareImport(await pfx(path, 'rsa pass'), options);
      assert.equal(prepared.leaf.fingerprint256, new X509Certificate(await readFile(rsa.certFile)).fingerprint256);
      assert.match(prepared.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    });

    it('a PFX exported with an empty passphrase', async () => {
      const path = await makePfx(dir, 'empty', { leaf: good, passphrase: '' });
      const prepared = prepareImport(await pfx(path, ''), options);
      assert.equal(prepared.leaf.fingerprint256, goodCert.fingerprint256);
    });

    it('a wildcard certificate for a name one label below it, and warns about what it notices', async () => {
      const wildcard = await makeLeaf(dir, 'wild', { names: ['*.example.test'] });
      const prepared = prepareImport(await pem(wildcard.certFile, wildcard.keyFile), {
        publicNames: ['gw.example.test'],
        now: new Date(),
      });
      assert.deepEqual(prepared.names.dnsNames, ['*.example.test']);
      assert.equal(prepared.warnings.length, 2, JSON.stringify(prepared.warnings));
      assert.match(
        prepared.warnings[0] ?? '',
        /^it expires in 29 day\(s\), on .*; imported certificates are not renewed$/,
      );
      assert.equal(prepared.warnings[1], 'it is self-signed: every client must trust this certificate itself');
    });
  });

  describe('refuses', () => {
    it('a wrong PFX passphrase', async () => {
      const path = await makePfx(dir, 'wrongpass', { leaf: good, passphrase: 'right' });
      const source = await pfx(path, 'wrong');
      assertImportError(
        () => prepareImport(source, options),
        ImportWrongPassphraseError,
        'ERR_IMPORT_WRONG_PASSPHRASE',
        `Wrong passphrase for ${path} (or the file is damaged): its integrity check failed`,
      );
      // An empty passphrase is not a way around it.
      const empty = await pfx(path, '');
      assert.throws(() => prepareImport(empty, options), ImportWrongPassphraseError);
    });

    it('a wrong passphrase for an encrypted PEM key, and a missing one', async () => {
      const encrypted = join(dir, 'good-key-enc2.pem');
      const passFile = join(dir, 'enc2.pass');
      await writeFile(passFile, 'right\n');
      await openssl(['pkcs8', '-topk8', '-in', good.keyFile, '-out', encrypted, '-passout', `file:${passFile}`]);
      const wrong = await pem(good.chainFile, encrypted, 'wrong');
      assertImportError(
        () => prepareImport(wrong, options),
        ImportWrongPassphraseError,
        'ERR_IMPORT_WRONG_PASSPHRASE',
        `Wrong passphrase for ${encrypted} (or the file is damaged): its integrity check failed`,
      );
      const none = await pem(good.chainFile, encrypted);
      assertImportError(
        () => prepareImport(none, options),
        ImportFileGarbledError,
        'ERR_IMPORT_FILE_GARBLED',
        `${encrypted} is not a usable certificate file: the private key is encrypted; give its passphrase with --passphrase-file`,
      );
    });

    it('a key that does not match the certificate', async () => {
      const other = await makeLeaf(dir, 'other-key', { names: NAMES, ca, days: 90 });
      const source = await pem(good.chainFile, other.keyFile);
      assertImportError(
        () => prepareImport(source, options),
        ImportKeyMismatchError,
        'ERR_IMPORT_KEY_MISMATCH',
        'The private key does not match the certificate (CN=gw.example.test); check that both files come from the same request',
      );
    });

    it('an expired certificate', async () => {
      const source = await pem(good.chainFile, good.keyFile);
      const notAfter = new Date(goodCert.validTo);
      assertImportError(
        () => prepareImport(source, { ...options, now: new Date(notAfter.getTime() + 1000) }),
        ImportExpiredError,
        'ERR_IMPORT_EXPIRED',
        `The certificate (CN=gw.example.test) expired on ${notAfter.toISOString()}`,
      );
    });

    it('a certificate that is not valid yet', async () => {
      const source = await pem(good.chainFile, good.keyFile);
      const notBefore = new Date(goodCert.validFrom);
      assertImportError(
        () => prepareImport(source, { ...options, now: new Date(notBefore.getTime() - 60 * 60 * 1000) }),
        ImportNotYetValidError,
        'ERR_IMPORT_NOT_YET_VALID',
        `The certificate (CN=gw.example.test) is not valid before ${notBefore.toISOString()}; check this machine's clock`,
      );
    });

    it('a certificate without a subjectAltName for a configured public name', async () => {
      const source = await pem(good.chainFile, good.keyFile);
      assertImportError(
        () =>
          prepareImport(source, { ...options, publicNames: ['gw.example.test', 'home.example.org', '198.51.100.1'] }),
        ImportNameNotCoveredError,
        'ERR_IMPORT_NAME_NOT_COVERED',
        'The certificate has no subjectAltName for home.example.org, 198.51.100.1 ' +
          '(it covers: gw.example.test, 203.0.113.7); clients connect by those names and would refuse it',
      );
    });

    it('a certificate with no subjectAltName at all, even when its common name matches', async () => {
      const bare = await makeLeaf(dir, 'bare', { names: [], commonName: 'gw.example.test', ca });
      const source = await pem(bare.certFile, bare.keyFile);
      assertImportError(
        () => prepareImport(source, options),
        ImportNameNotCoveredError,
        'ERR_IMPORT_NAME_NOT_COVERED',
        'The certificate has no subjectAltName (needed for gw.example.test, GW.Example.Test, 203.0.113.7); ' +
          'clients ignore the subject common name and would refuse it',
      );
    });

    it('a wildcard for a name two labels below it', async () => {
      const wildcard = await makeLeaf(dir, 'wild2', { names: ['*.example.test'] });
      const source = await pem(wildcard.certFile, wildcard.keyFile);
      assert.throws(
        () => prepareImport(source, { publicNames: ['a.gw.example.test'], now: new Date() }),
        ImportNameNotCoveredError,
      );
    });

    it('a certificate only for client authentication', async () => {
      const client = await makeLeaf(dir, 'client', { names: NAMES, ca, extendedKeyUsage: 'clientAuth' });
      const source = await pem(client.certFile, client.keyFile);
      assertImportError(
        () => prepareImport(source, options),
        ImportNotServerCertificateError,
        'ERR_IMPORT_NOT_SERVER_CERTIFICATE',
        'Not a TLS server certificate: the extended key usage of CN=gw.example.test does not include TLS server ' +
          'authentication (serverAuth)',
      );
    });

    it('an Ed25519 key', async () => {
      const ed = await makeLeaf(dir, 'ed', { names: NAMES, keyType: 'ed25519' });
      const source = await pem(ed.certFile, ed.keyFile);
      assertImportError(
        () => prepareImport(source, options),
        ImportUnsupportedKeyError,
        'ERR_IMPORT_UNSUPPORTED_KEY',
        'Unsupported private key: a ed25519 key; use an ECDSA (P-256, P-384, P-521) or an RSA key of at least 2048 bits',
      );
    });

    it('a garbled PFX, a truncated PEM, a file that is not PEM, and a key file with no key', async () => {
      const garbage = join(dir, 'garbage.pfx');
      await writeFile(garbage, randomBytes(600));
      const garbageSource = await pfx(garbage, 'x');
      assertImportError(
        () => prepareImport(garbageSource, options),
        ImportFileGarbledError,
        'ERR_IMPORT_FILE_GARBLED',
        new RegExp(`^${escape(garbage)} is not a usable certificate file: not (DER-encoded|a readable PKCS#12 file)`),
      );

      const truncatedPfx = join(dir, 'truncated.pfx');
      const whole = await readFile(await makePfx(dir, 'whole', { leaf: good, passphrase: 'p' }));
      await writeFile(truncatedPfx, whole.subarray(0, whole.length - 100));
      const truncatedPfxSource = await pfx(truncatedPfx, 'p');
      assert.throws(() => prepareImport(truncatedPfxSource, options), ImportFileGarbledError);

      const truncated = join(dir, 'truncated.pem');
      await writeFile(truncated, (await readFile(good.certFile, 'utf8')).slice(0, 200));
      const truncatedSource = await pem(truncated, good.keyFile);
      assertImportError(
        () => prepareImport(truncatedSource, options),
        ImportFileGarbledError,
        'ERR_IMPORT_FILE_GARBLED',
        `${truncated} is not a usable certificate file: a PEM block is truncated or damaged`,
      );

      const text = join(dir, 'notes.txt');
      await writeFile(text, 'hello, this is not a certificate\n');
      const textSource = await pem(text, good.keyFile);
      assertImportError(
        () => prepareImport(textSource, options),
        ImportFileGarbledError,
        'ERR_IMPORT_FILE_GARBLED',
        `${text} is not a usable certificate file: no PEM block found`,
      );

      const certAsKey = await pem(good.certFile, ca.certFile);
      assertImportError(
        () => prepareImport(certAsKey, options),
        ImportNoKeyError,
        'ERR_IMPORT_NO_KEY',
        `No private key found in ${ca.certFile}; give the key with --key FILE (or use a PFX that contains it)`,
      );
    });

    it('a file that does not exist, or is a directory', async () => {
      const missing = join(dir, 'nope.pem');
      await assert.rejects(readImportFile(missing), (error: unknown) => {
        assert.ok(error instanceof ImportFileUnreadableError);
        assert.equal(error.code, 'ERR_IMPORT_FILE_UNREADABLE');
        assert.equal(error.message, `Cannot read ${missing}: no such file`);
        return true;
      });
      await assert.rejects(readImportFile(dir), ImportFileUnreadableError);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
