/**
 * CertificateReloader: the running gateway's view of its certificate follows the folder (change marker), the
 * daily check (renewal) and new public names — and keeps what it has when a reload fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { prepareImport, readImportFile, type PreparedCertificate } from '../../../main/certs/certificate-import.ts';
import { CertificateReloader, type ReloadReason } from '../../../main/certs/certificate-reloader.ts';
import {
  loadOrCreateCertificates,
  removeImportedCertificate,
  SERVER_KEY_FILE,
  storeImportedCertificate,
  type TlsMaterial,
} from '../../../main/certs/certificate-store.ts';
import { createLogger, type Logger } from '../../../main/logging/logger.ts';
import { makeLeaf, makeTestCa } from '../../helpers/openssl-certs.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const WAIT_MS = 5_000;

type LogRecord = Record<string, unknown> & { level: string; msg: string };

interface Change {
  material: TlsMaterial;
  previous: TlsMaterial;
  reason: ReloadReason;
}

/** The next change the reloader reports, bounded in time. */
function nextChange(reloader: CertificateReloader): Promise<Change> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no certificate change within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = reloader.onChange((material, previous, reason) => {
      clearTimeout(timer);
      off();
      resolve({ material, previous, reason });
    });
  });
}

describe('CertificateReloader', { timeout: 60_000 }, () => {
  let fixtures: string;
  let prepared: PreparedCertificate;
  let root: string;
  let dir: string;
  let records: LogRecord[];
  let logger: Logger;
  let reloader: CertificateReloader | undefined;

  const start = async (options: { publicNames?: () => string[]; checkIntervalMs?: number; now?: () => Date } = {}) => {
    const initial = await loadOrCreateCertificates(dir, { publicNames: [], logger });
    reloader = new CertificateReloader({
      dir,
      initial,
      publicNames: options.publicNames ?? (() => []),
      logger,
      ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    reloader.start();
    return reloader;
  };

  before(async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'homegate-reloader-fx-'));
    const ca = await makeTestCa(fixtures, 'root');
    const leaf = await makeLeaf(fixtures, 'gw', { names: ['gw.example.test'], ca, days: 90 });
    prepared = prepareImport(
      { kind: 'pem', cert: await readImportFile(leaf.chainFile), key: await readImportFile(leaf.keyFile) },
      { publicNames: [], now: new Date() },
    );
  });

  after(async () => {
    await rm(fixtures, { recursive: true, force: true });
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-reloader-'));
    dir = join(root, 'tls');
    records = [];
    logger = createLogger({ level: 'debug', write: (line) => records.push(JSON.parse(line) as LogRecord) });
  });

  afterEach(async () => {
    reloader?.close();
    reloader = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('follows an import and a use-local made by another writer of the folder', async () => {
    const watcher = await start();
    const local = watcher.current;
    const imported = nextChange(watcher);
    await storeImportedCertificate(dir, prepared, { logger });
    const change = await imported;
    assert.equal(change.reason, 'files-changed');
    assert.equal(change.material.source, 'imported');
    assert.equal(change.material.fingerprintSha256, prepared.leaf.fingerprint256);
    assert.equal(change.previous.fingerprintSha256, local.fingerprintSha256);
    assert.equal(watcher.current, change.material);

    const back = nextChange(watcher);
    await removeImportedCertificate(dir, { logger });
    assert.equal((await back).material.fingerprintSha256, local.fingerprintSha256);
  });

  it('follows a regeneration by another process', async () => {
    const watcher = await start();
    const before = watcher.current.fingerprintSha256;
    const changed = nextChange(watcher);
    await loadOrCreateCertificates(dir, { publicNames: [], logger, regenerate: true });
    const change = await changed;
    assert.notEqual(change.material.fingerprintSha256, before);
    assert.equal(change.material.source, 'local');
  });

  it('renews the local certificate in the daily check once it nears expiry', async () => {
    let now = new Date();
    const watcher = await start({ checkIntervalMs: 50, now: () => now });
    const renewed = nextChange(watcher);
    now = new Date(watcher.current.notAfter.getTime() - 10 * DAY_MS);
    const change = await renewed;
    assert.equal(change.reason, 'daily-check');
    assert.ok(change.material.notAfter > change.previous.notAfter);
    assert.ok(records.some((r) => r.msg === 'issued server certificate' && r.reason === 'expiring'));
  });

  it('re-issues with new public names when asked', async () => {
    let names: string[] = [];
    const watcher = await start({ publicNames: () => names });
    names = ['new.example.test'];
    const material = await watcher.reload('public-names-changed');
    assert.ok(material.dnsNames.includes('new.example.test'));
    assert.equal(watcher.current, material);
  });

  it('does not report a reload that changed nothing', async () => {
    const watcher = await start();
    let calls = 0;
    watcher.onChange(() => (calls += 1));
    const same = await watcher.reload('daily-check');
    assert.equal(same, watcher.current);
    assert.equal(calls, 0);
  });

  it('keeps the current certificate, and says why, when a reload fails', async () => {
    const watcher = await start();
    const current = watcher.current;
    await writeFile(join(dir, SERVER_KEY_FILE), 'not a key');
    const result = await watcher.reload('daily-check');
    assert.equal(result, current);
    const failure = records.find((r) => r.msg === 'certificate reload failed; keeping the current certificate');
    assert.equal(failure?.level, 'error');
    assert.equal(failure?.reason, 'daily-check');
  });
});
