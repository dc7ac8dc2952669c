/**
 * Storing an imported certificate next to the local ones, serving it instead of them, and going back:
 * file modes, the secret codec, the change marker, the folder lock, and what a damaged import does.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { prepareImport, readImportFile, type PreparedCertificate } from '../../../main/certs/certificate-import.ts';
import {
  CA_CERT_FILE,
  CHANGE_MARKER_FILE,
  describeServedCertificate,
  IMPORTED_CERT_FILE,
  IMPORTED_KEY_FILE,
  loadOrCreateCertificates,
  removeImportedCertificate,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
  storeImportedCertificate,
} from '../../../main/certs/certificate-store.ts';
import { CertificateStoreBusyError, KeyFileMissingError, KeyMismatchError } from '../../../main/certs/errors.ts';
import type { SecretCodec } from '../../../main/certs/secret-files.ts';
import { LOCK_FILE, withStoreLock } from '../../../main/certs/store-lock.ts';
import { createLogger, type Logger } from '../../../main/logging/logger.ts';
import { makeLeaf, makeTestCa, type MadeLeaf } from '../../helpers/openssl-certs.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

type LogRecord = Record<string, unknown> & { level: string; msg: string };

function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}

/** A codec that visibly changes the bytes, standing in for Electron's safeStorage. */
const TEST_CODEC: SecretCodec = {
  seal: (plain) => Buffer.concat([Buffer.from('SEALED:'), Buffer.from(plain.toString('base64'))]),
  open: (stored) => {
    if (!stored.subarray(0, 7).equals(Buffer.from('SEALED:'))) throw new Error('not sealed');
    return Buffer.from(stored.subarray(7).toString(), 'base64');
  },
};

describe('imported certificates in the certificate folder', { timeout: 60_000 }, () => {
  let fixtures: string;
  let leaf: MadeLeaf;
  let prepared: PreparedCertificate;
  let root: string;
  let dir: string;
  let logs: ReturnType<typeof captureLogger>;

  const load = (overrides: { now?: () => Date; publicNames?: string[]; secretCodec?: SecretCodec } = {}) =>
    loadOrCreateCertificates(dir, { publicNames: ['gw.example.test'], logger: logs.logger, ...overrides });

  before(async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'homegate-imported-fx-'));
    const ca = await makeTestCa(fixtures, 'root');
    leaf = await makeLeaf(fixtures, 'gw', { names: ['gw.example.test'], ca, days: 90 });
    prepared = prepareImport(
      { kind: 'pem', cert: await readImportFile(leaf.chainFile), key: await readImportFile(leaf.keyFile) },
      { publicNames: ['gw.example.test'], now: new Date() },
    );
  });

  after(async () => {
    await rm(fixtures, { recursive: true, force: true });
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-imported-'));
    dir = join(root, 'tls');
    logs = captureLogger();
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is served instead of the local certificate once stored, with the local CA kept', async () => {
    const local = await load();
    assert.equal(local.source, 'local');
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });

    const material = await load();
    assert.equal(material.source, 'imported');
    assert.equal(material.chainPem, prepared.chainPem);
    assert.equal(material.keyPem, prepared.keyPem);
    assert.equal(material.fingerprintSha256, prepared.leaf.fingerprint256);
    assert.equal(material.subject, 'CN=gw.example.test');
    assert.equal(material.issuer, 'CN=Homegate Test Root');
    assert.deepEqual(material.dnsNames, ['gw.example.test']);
    assert.equal(material.caCertPem, local.caCertPem, 'the local CA is still the one to export');
    assert.equal(material.notAfter.getTime(), Date.parse(prepared.leaf.validTo));
    // The local pair is untouched and still current.
    assert.equal(await readFile(join(dir, SERVER_CERT_FILE), 'utf8'), local.certPem);
  });

  it('stores the key 0600 and the chain 0644, and rewrites the change marker', posixOnly, async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    assert.equal((await stat(join(dir, IMPORTED_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, IMPORTED_CERT_FILE))).mode & 0o777, 0o644);
    const marker = JSON.parse(await readFile(join(dir, CHANGE_MARKER_FILE), 'utf8')) as Record<string, unknown>;
    assert.equal(marker.reason, 'imported');
    assert.equal(marker.pid, process.pid);
    assert.ok(!JSON.stringify(logs.records).includes('PRIVATE KEY'), 'no key in the logs');
  });

  it('seals the imported key with the secret codec', async () => {
    await load({ secretCodec: TEST_CODEC });
    await storeImportedCertificate(dir, prepared, { logger: logs.logger, secretCodec: TEST_CODEC });
    const onDisk = await readFile(join(dir, IMPORTED_KEY_FILE), 'utf8');
    assert.ok(onDisk.startsWith('SEALED:') && !onDisk.includes('PRIVATE KEY'));
    const material = await load({ secretCodec: TEST_CODEC });
    assert.equal(material.source, 'imported');
    assert.equal(material.keyPem, prepared.keyPem);
  });

  it('goes back to the local certificate when removed, and says whether there was one', async () => {
    const local = await load();
    assert.equal(await removeImportedCertificate(dir, { logger: logs.logger }), false);
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    assert.equal(await removeImportedCertificate(dir, { logger: logs.logger }), true);
    const material = await load();
    assert.equal(material.source, 'local');
    assert.equal(material.fingerprintSha256, local.fingerprintSha256);
    const marker = JSON.parse(await readFile(join(dir, CHANGE_MARKER_FILE), 'utf8')) as Record<string, unknown>;
    assert.equal(marker.reason, 'use-local');
  });

  it('keeps serving an imported certificate that expired, and logs it as an error', async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    const later = new Date(Date.parse(prepared.leaf.validTo) + DAY_MS);
    const material = await load({ now: () => later });
    assert.equal(material.source, 'imported');
    const problem = logs.records.find((r) => r.msg === 'imported certificate will be refused by clients');
    assert.ok(problem, 'an error line');
    assert.equal(problem.level, 'error');
    assert.match(String(problem.problem), /^The certificate \(CN=gw\.example\.test\) expired on /);
  });

  it('warns when the imported certificate nears expiry, since it is never renewed', async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    const soon = new Date(Date.parse(prepared.leaf.validTo) - 10 * DAY_MS);
    await load({ now: () => soon });
    const warning = logs.records.find((r) => r.msg.startsWith('imported certificate expires soon'));
    assert.ok(warning);
    assert.equal(warning.level, 'warn');
    assert.equal(warning.daysLeft, 10);
  });

  it('logs a configured public name the imported certificate does not cover', async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    await load({ publicNames: ['gw.example.test', 'new.example.test'] });
    const problem = logs.records.find((r) => r.msg === 'imported certificate will be refused by clients');
    assert.match(String(problem?.problem), /no subjectAltName for new\.example\.test/);
  });

  it('refuses a stored imported key that does not match, and a certificate without its key', async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    await writeFile(join(dir, IMPORTED_KEY_FILE), await readFile(join(dir, SERVER_KEY_FILE)));
    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof KeyMismatchError);
      assert.equal(error.file, join(dir, IMPORTED_KEY_FILE));
      assert.match(error.message, /homegate cert use-local/);
      return true;
    });
    await rm(join(dir, IMPORTED_KEY_FILE));
    await assert.rejects(load(), KeyFileMissingError);
  });

  it('ignores a leftover imported key without its certificate', async () => {
    await load();
    await storeImportedCertificate(dir, prepared, { logger: logs.logger });
    await rm(join(dir, IMPORTED_CERT_FILE));
    const material = await load();
    assert.equal(material.source, 'local');
    assert.ok(logs.records.some((r) => r.msg === 'ignoring an imported key without its certificate'));
  });

  it('regenerates a new local key and certificate from the same CA on request', async () => {
    const before = await load();
    const oldKey = await readFile(join(dir, SERVER_KEY_FILE), 'utf8');
    const after = await loadOrCreateCertificates(dir, { publicNames: [], logger: logs.logger, regenerate: true });
    assert.notEqual(after.fingerprintSha256, before.fingerprintSha256);
    assert.notEqual(await readFile(join(dir, SERVER_KEY_FILE), 'utf8'), oldKey);
    assert.equal(after.caFingerprintSha256, before.caFingerprintSha256);
    assert.ok(new X509Certificate(after.certPem).checkIssued(new X509Certificate(after.caCertPem)));
    assert.ok(logs.records.some((r) => r.msg === 'issued server certificate' && r.reason === 'requested'));
  });

  describe('describeServedCertificate', () => {
    it('is undefined before anything exists, then describes the local and the imported one', async () => {
      assert.equal(await describeServedCertificate(dir, { publicNames: [] }), undefined);
      const local = await load();
      const localSummary = await describeServedCertificate(dir, { publicNames: ['gw.example.test'] });
      assert.equal(localSummary?.source, 'local');
      assert.equal(localSummary?.fingerprintSha256, local.fingerprintSha256);
      assert.equal(localSummary?.file, join(dir, SERVER_CERT_FILE));
      assert.deepEqual(localSummary?.warnings, []);

      await storeImportedCertificate(dir, prepared, { logger: logs.logger });
      const summary = await describeServedCertificate(dir, { publicNames: ['gw.example.test', 'other.example.test'] });
      assert.equal(summary?.source, 'imported');
      assert.equal(summary?.subject, 'CN=gw.example.test');
      assert.equal(summary?.issuer, 'CN=Homegate Test Root');
      assert.equal(summary?.fingerprintSha256, prepared.leaf.fingerprint256);
      assert.deepEqual(summary?.dnsNames, ['gw.example.test']);
      assert.equal(summary?.warnings.length, 1);
      assert.match(summary?.warnings[0] ?? '', /no subjectAltName for other\.example\.test/);

      const soon = new Date(Date.parse(prepared.leaf.validTo) - 5 * DAY_MS);
      const expiring = await describeServedCertificate(dir, { publicNames: [], now: soon });
      assert.deepEqual(expiring?.warnings, [
        'expires in 5 day(s) and imported certificates are not renewed: import a new one',
      ]);
    });
  });

  describe('the folder lock', () => {
    it('serialises concurrent writers so that the pair on disk always matches', async () => {
      await load();
      await Promise.all([
        storeImportedCertificate(dir, prepared, { logger: logs.logger }),
        loadOrCreateCertificates(dir, { publicNames: [], logger: logs.logger, regenerate: true }),
        removeImportedCertificate(dir, { logger: logs.logger }),
        loadOrCreateCertificates(dir, { publicNames: [], logger: logs.logger, regenerate: true }),
      ]);
      // Whichever finished last, the pairs on disk match (a torn pair would fail to load) and the lock is gone.
      const material = await load();
      assert.ok(material.source === 'local' || material.source === 'imported');
      await assert.rejects(stat(join(dir, LOCK_FILE)), { code: 'ENOENT' });
    });

    it('waits for a held lock, gives up with a clear error, and takes over a stale one', async () => {
      await load();
      await writeFile(join(dir, LOCK_FILE), 'someone else');
      await assert.rejects(
        withStoreLock(dir, () => Promise.resolve(), { timeoutMs: 100 }),
        (error: unknown) =>
          error instanceof CertificateStoreBusyError && /locked by another homegate/.test(error.message),
      );
      const old = new Date(Date.now() - 60_000);
      await utimes(join(dir, LOCK_FILE), old, old);
      assert.equal(await withStoreLock(dir, () => Promise.resolve('ran'), { timeoutMs: 100 }), 'ran');
      await assert.rejects(stat(join(dir, LOCK_FILE)), { code: 'ENOENT' });
      assert.ok((await readFile(join(dir, CA_CERT_FILE), 'utf8')).includes('BEGIN CERTIFICATE'));
    });
  });
});
