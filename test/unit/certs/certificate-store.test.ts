import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CHANGE_MARKER_FILE,
  loadOrCreateCertificates,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
  type LoadOrCreateCertificatesOptions,
} from '../../../main/certs/certificate-store.ts';
import {
  InvalidPublicNameError,
  KeyFileCorruptError,
  KeyFileMissingError,
  KeyFileUnreadableError,
  KeyMismatchError,
} from '../../../main/certs/errors.ts';
import type { SecretCodec } from '../../../main/certs/secret-files.ts';
import { createLogger, type Logger } from '../../../main/logging/logger.ts';

const execFileAsync = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;
/** The four key files, and the marker a running gateway follows (rewritten whenever one of them changes). */
const ALL_FILES = [CA_CERT_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE, CHANGE_MARKER_FILE];
const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

async function openssl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('openssl', args);
  return stdout;
}

type LogRecord = Record<string, unknown> & { level: string; msg: string };

function captureLogger(): { logger: Logger; records: LogRecord[]; raw: string[] } {
  const records: LogRecord[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      raw.push(line);
      records.push(JSON.parse(line) as LogRecord);
    },
  });
  return { logger, records, raw };
}

interface FileState {
  content: string;
  mtimeMs: number;
  ino: number;
}

async function snapshot(dir: string): Promise<Record<string, FileState>> {
  const result: Record<string, FileState> = {};
  for (const name of await readdir(dir)) {
    const info = await stat(join(dir, name));
    if (info.isFile()) {
      result[name] = { content: await readFile(join(dir, name), 'latin1'), mtimeMs: info.mtimeMs, ino: info.ino };
    }
  }
  return result;
}

describe('loadOrCreateCertificates', () => {
  let root: string;
  let dir: string;
  let logs: ReturnType<typeof captureLogger>;

  const load = (overrides: Partial<LoadOrCreateCertificatesOptions> = {}) =>
    loadOrCreateCertificates(dir, { publicNames: [], logger: logs.logger, ...overrides });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-certs-'));
    // A directory that does not exist yet, so the test sees the mode we create it with.
    dir = join(root, 'certs');
    logs = captureLogger();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the CA and server files with private modes on first run', posixOnly, async () => {
    const material = await load({ publicNames: ['gw.example.test'] });

    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, SERVER_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, CA_CERT_FILE))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dir, SERVER_CERT_FILE))).mode & 0o777, 0o644);
    assert.deepEqual((await readdir(dir)).sort(), [...ALL_FILES].sort());

    assert.equal(material.caCertPem, await readFile(join(dir, CA_CERT_FILE), 'utf8'));
    assert.equal(material.certPem, await readFile(join(dir, SERVER_CERT_FILE), 'utf8'));
    assert.equal(material.keyPem, await readFile(join(dir, SERVER_KEY_FILE), 'utf8'));
    assert.equal(material.chainPem, material.certPem + material.caCertPem);
    assert.match(material.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(material.fingerprintSha256, new X509Certificate(material.certPem).fingerprint256);
    assert.equal(material.caFingerprintSha256, new X509Certificate(material.caCertPem).fingerprint256);
    assert.equal(material.notAfter.getTime(), Date.parse(new X509Certificate(material.certPem).validTo));
    assert.equal(material.dnsNames[0], 'localhost');
    assert.ok(material.dnsNames.includes('gw.example.test'));
    assert.deepEqual(material.ipAddresses.slice(0, 2), ['127.0.0.1', '::1']);

    const messages = logs.records.filter((r) => r.level === 'info').map((r) => r.msg);
    assert.deepEqual(messages, ['created local certificate authority', 'issued server certificate']);
    // Never a key in the logs.
    const allLogs = logs.raw.join('');
    assert.ok(!allLogs.includes('PRIVATE KEY'));
    for (const file of [CA_KEY_FILE, SERVER_KEY_FILE]) {
      const body = (await readFile(join(dir, file), 'utf8')).split('\n')[1] ?? '';
      assert.ok(body.length > 20 && !allLogs.includes(body.slice(0, 20)));
    }
  });

  it('writes files that openssl accepts', async () => {
    const material = await load({ publicNames: ['gw.example.test', '198.51.100.7'] });
    const ca = join(dir, CA_CERT_FILE);
    const server = join(dir, SERVER_CERT_FILE);
    assert.match(await openssl('verify', '-CAfile', ca, server), /: OK\n/);
    const san = await openssl('x509', '-noout', '-ext', 'subjectAltName', '-in', server);
    for (const entry of ['DNS:localhost', 'DNS:gw.example.test', 'IP Address:127.0.0.1', 'IP Address:198.51.100.7']) {
      assert.ok(san.includes(entry), `${entry} missing from ${san}`);
    }
    // RSA by default (some clients reject EC certificates; the .rdp signature is made with this key).
    assert.match(
      await openssl('pkey', '-noout', '-text', '-in', join(dir, SERVER_KEY_FILE)),
      /Private-Key: \(2048 bit/,
    );
    assert.match(await openssl('pkey', '-noout', '-text', '-in', join(dir, CA_KEY_FILE)), /Private-Key: \(2048 bit/);
    const text = await openssl('x509', '-noout', '-text', '-in', server);
    assert.match(text, /Extended Key Usage:\s*\n\s+TLS Web Server Authentication\n/);
    assert.doesNotMatch(san, /\*/, 'no wildcard name');
    const fingerprint = await openssl('x509', '-noout', '-fingerprint', '-sha256', '-in', server);
    assert.equal(fingerprint.trim().replace(/^sha256 Fingerprint=/i, ''), material.fingerprintSha256);
    const caFingerprint = await openssl('x509', '-noout', '-fingerprint', '-sha256', '-in', ca);
    assert.equal(caFingerprint.trim().replace(/^sha256 Fingerprint=/i, ''), material.caFingerprintSha256);
  });

  it('loads the same certificate on a second call without rewriting anything', async () => {
    const first = await load({ publicNames: ['gw.example.test'] });
    const before = await snapshot(dir);
    const second = await load({ publicNames: ['gw.example.test'] });
    assert.deepEqual(await snapshot(dir), before);
    assert.equal(second.fingerprintSha256, first.fingerprintSha256);
    assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
    assert.equal(second.keyPem, first.keyPem);
    assert.equal(second.chainPem, first.chainPem);
    assert.equal(logs.records.filter((r) => r.msg === 'issued server certificate').length, 1);
  });

  it('re-issues the server certificate from the same CA when a public name is added', async () => {
    const first = await load();
    const caBefore = await readFile(join(dir, CA_KEY_FILE), 'utf8');
    const second = await load({ publicNames: ['new.example.test', '203.0.113.44'] });

    assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
    assert.equal(await readFile(join(dir, CA_KEY_FILE), 'utf8'), caBefore);
    assert.notEqual(second.fingerprintSha256, first.fingerprintSha256);
    assert.equal(second.keyPem, first.keyPem, 'a renewal keeps the server key');
    assert.ok(second.dnsNames.includes('new.example.test'));
    assert.ok(second.ipAddresses.includes('203.0.113.44'));
    const san = await openssl('x509', '-noout', '-ext', 'subjectAltName', '-in', join(dir, SERVER_CERT_FILE));
    assert.ok(san.includes('DNS:new.example.test') && san.includes('IP Address:203.0.113.44'));
    assert.match(await openssl('verify', '-CAfile', join(dir, CA_CERT_FILE), join(dir, SERVER_CERT_FILE)), /OK/);

    const issued = logs.records.filter((r) => r.msg === 'issued server certificate');
    assert.equal(issued.at(-1)?.reason, 'names-changed');
    assert.deepEqual(issued.at(-1)?.addedNames, ['new.example.test', '203.0.113.44']);
  });

  it('renews a server certificate that expires within 30 days', async () => {
    const first = await load();
    const later = new Date(Date.now() + 380 * DAY_MS);
    const renewed = await load({ now: () => later });

    assert.notEqual(renewed.fingerprintSha256, first.fingerprintSha256);
    assert.equal(renewed.caFingerprintSha256, first.caFingerprintSha256);
    assert.ok(renewed.notAfter.getTime() > later.getTime() + 300 * DAY_MS);
    assert.equal(logs.records.at(-1)?.reason, 'expiring');
    const cert = new X509Certificate(renewed.certPem);
    assert.ok(cert.checkIssued(new X509Certificate(renewed.caCertPem)));

    // And it is stable from then on.
    const again = await load({ now: () => later });
    assert.equal(again.fingerprintSha256, renewed.fingerprintSha256);
  });

  it('does not renew a certificate that still has more than 30 days', async () => {
    const first = await load();
    const second = await load({ now: () => new Date(Date.now() + 360 * DAY_MS) });
    assert.equal(second.fingerprintSha256, first.fingerprintSha256);
  });

  it('fails clearly on a corrupt ca-key.pem and leaves it untouched', async () => {
    await load();
    const keyFile = join(dir, CA_KEY_FILE);
    await writeFile(keyFile, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    const before = await snapshot(dir);

    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof KeyFileCorruptError);
      assert.equal(error.code, 'ERR_KEY_FILE_CORRUPT');
      assert.equal(error.file, keyFile);
      assert.ok(error.message.includes(keyFile), error.message);
      return true;
    });
    assert.deepEqual(await snapshot(dir), before);
  });

  it('fails clearly on a corrupt ca.pem and leaves it untouched', async () => {
    await load();
    const certFile = join(dir, CA_CERT_FILE);
    const pem = await readFile(certFile, 'utf8');
    await writeFile(certFile, pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!'));
    const before = await snapshot(dir);
    await assert.rejects(load(), (error: unknown) => error instanceof KeyFileCorruptError && error.file === certFile);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('refuses a leaf certificate as the CA', async () => {
    await load();
    // server.pem with its own key passes the key check, but it must not sign other certificates.
    await writeFile(join(dir, CA_CERT_FILE), await readFile(join(dir, SERVER_CERT_FILE)));
    await writeFile(join(dir, CA_KEY_FILE), await readFile(join(dir, SERVER_KEY_FILE)));
    await assert.rejects(load(), /ca\.pem is corrupt or invalid: it is not a CA certificate/);
  });

  it('detects a server key that does not match the server certificate', async () => {
    await load();
    const keyFile = join(dir, SERVER_KEY_FILE);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await writeFile(keyFile, other.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const before = await snapshot(dir);

    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof KeyMismatchError);
      assert.equal(error.code, 'ERR_KEY_MISMATCH');
      assert.equal(error.file, keyFile);
      assert.equal(error.otherFile, join(dir, SERVER_CERT_FILE));
      return true;
    });
    assert.deepEqual(await snapshot(dir), before);
  });

  it('detects a CA key that does not match the CA certificate', async () => {
    await load();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await writeFile(join(dir, CA_KEY_FILE), other.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await assert.rejects(load(), KeyMismatchError);
  });

  it('rejects a key of another type, naming the file', async () => {
    await load();
    const ed = generateKeyPairSync('ed25519').privateKey;
    await writeFile(join(dir, SERVER_KEY_FILE), ed.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await assert.rejects(
      load(),
      /server-key\.pem is corrupt or invalid: expected an RSA key of 2048 bits or more or an ECDSA P-256 key, found ed25519/,
    );
  });

  it('keeps an existing ECDSA certificate under the RSA default until it is regenerated', async () => {
    const first = await load({ keyType: 'ecdsa-p256' });
    assert.match(await openssl('pkey', '-noout', '-text', '-in', join(dir, SERVER_KEY_FILE)), /prime256v1/);
    const before = await snapshot(dir);
    const second = await load();
    assert.equal(second.fingerprintSha256, first.fingerprintSha256);
    assert.deepEqual(await snapshot(dir), before);

    const regenerated = await load({ regenerate: true });
    assert.notEqual(regenerated.fingerprintSha256, first.fingerprintSha256);
    const text = await openssl('x509', '-noout', '-text', '-in', join(dir, SERVER_CERT_FILE));
    assert.match(text, /Public Key Algorithm: rsaEncryption/);
    // The CA is never replaced: the new RSA certificate is signed by the old ECDSA CA, and still verifies.
    assert.equal(regenerated.caFingerprintSha256, first.caFingerprintSha256);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(await openssl('verify', '-CAfile', join(dir, CA_CERT_FILE), join(dir, SERVER_CERT_FILE)), /: OK\n/);
  });

  it('regenerates with the configured ECDSA key type', async () => {
    await load();
    await load({ regenerate: true, keyType: 'ecdsa-p256' });
    assert.match(await openssl('pkey', '-noout', '-text', '-in', join(dir, SERVER_KEY_FILE)), /ASN1 OID: prime256v1/);
    assert.match(await openssl('pkey', '-noout', '-text', '-in', join(dir, CA_KEY_FILE)), /Private-Key: \(2048 bit/);
  });

  it('never recreates a CA whose certificate or key is missing', async () => {
    await load();
    await rm(join(dir, CA_KEY_FILE));
    const before = await snapshot(dir);
    await assert.rejects(
      load(),
      (error: unknown) => error instanceof KeyFileMissingError && error.file === join(dir, CA_KEY_FILE),
    );
    assert.deepEqual(await snapshot(dir), before);
  });

  it('never recreates a CA whose certificate is missing', async () => {
    await load();
    await rm(join(dir, CA_CERT_FILE));
    await assert.rejects(load(), /ca\.pem is missing but .*ca-key\.pem exists/);
    assert.deepEqual(
      (await readdir(dir)).sort(),
      [CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE, CHANGE_MARKER_FILE].sort(),
    );
  });

  it('reports a key path that cannot be read as unreadable, not as absent', async () => {
    await load();
    await rm(join(dir, CA_KEY_FILE));
    await mkdir(join(dir, CA_KEY_FILE));
    await assert.rejects(load(), KeyFileUnreadableError);
  });

  it('issues a new server pair from the same CA when the server key was deleted', async () => {
    const first = await load();
    await rm(join(dir, SERVER_KEY_FILE));
    const second = await load();
    assert.equal(second.caFingerprintSha256, first.caFingerprintSha256);
    assert.notEqual(second.keyPem, first.keyPem);
    assert.equal(logs.records.at(-1)?.reason, 'key-missing');
  });

  it('keeps the server key when only the certificate was deleted', async () => {
    const first = await load();
    await rm(join(dir, SERVER_CERT_FILE));
    const second = await load();
    assert.equal(second.keyPem, first.keyPem);
    assert.equal(logs.records.at(-1)?.reason, 'certificate-missing');
  });

  it('re-issues the server certificate, with a warning, when both CA files were deleted', async () => {
    const first = await load();
    await rm(join(dir, CA_CERT_FILE));
    await rm(join(dir, CA_KEY_FILE));
    const second = await load();
    assert.notEqual(second.caFingerprintSha256, first.caFingerprintSha256);
    const issued = logs.records.at(-1);
    assert.equal(issued?.reason, 'not-issued-by-ca');
    assert.equal(issued?.level, 'warn');
    assert.match(await openssl('verify', '-CAfile', join(dir, CA_CERT_FILE), join(dir, SERVER_CERT_FILE)), /OK/);
  });

  it('rejects an invalid public name before writing anything', async () => {
    await assert.rejects(load({ publicNames: ['gw.example.test', 'not a name'] }), InvalidPublicNameError);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  });

  describe('with a secret codec', () => {
    // A stand-in for safeStorage: reversible, and visibly not PEM on disk.
    const PREFIX = Buffer.from('SEALED:');
    const codec: SecretCodec = {
      seal: (plain) => Buffer.concat([PREFIX, Buffer.from(plain.toString('base64'))]),
      open: (stored) => {
        if (!stored.subarray(0, PREFIX.length).equals(PREFIX)) throw new Error('not sealed');
        return Buffer.from(stored.subarray(PREFIX.length).toString(), 'base64');
      },
    };

    it('seals private key files and opens them again', async () => {
      const first = await load({ secretCodec: codec });
      for (const file of [CA_KEY_FILE, SERVER_KEY_FILE]) {
        const onDisk = await readFile(join(dir, file), 'utf8');
        assert.ok(onDisk.startsWith('SEALED:') && !onDisk.includes('PRIVATE KEY'));
      }
      assert.match(await readFile(join(dir, CA_CERT_FILE), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
      const second = await load({ secretCodec: codec });
      assert.equal(second.fingerprintSha256, first.fingerprintSha256);
      assert.match(second.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    });

    it('reports a file the codec cannot open as unreadable and leaves it alone', async () => {
      await load();
      const before = await snapshot(dir);
      await assert.rejects(
        load({ secretCodec: codec }),
        (error: unknown) =>
          error instanceof KeyFileUnreadableError &&
          error.file === join(dir, CA_KEY_FILE) &&
          /could not decrypt/.test(error.message),
      );
      assert.deepEqual(await snapshot(dir), before);
    });

    it('reports sealed files read without the codec as corrupt', async () => {
      await load({ secretCodec: codec });
      const before = await snapshot(dir);
      await assert.rejects(load(), KeyFileCorruptError);
      assert.deepEqual(await snapshot(dir), before);
    });
  });
});
