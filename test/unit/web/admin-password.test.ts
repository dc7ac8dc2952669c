import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AdminPasswordFileError,
  AdminPasswordPolicyError,
  DEFAULT_SCRYPT_PARAMETERS,
  ensureAdminPassword,
  generateAdminPassword,
  hashAdminPassword,
  readAdminPassword,
  setAdminPassword,
  verifyAdminPassword,
} from '../../../main/web/admin-password.ts';

const CHEAP = { N: 1024, r: 8, p: 1, keyLength: 32 };

describe('admin password', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-pw-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('scrypt with a per-password salt and its parameters stored; verification is exact', async () => {
    const first = await hashAdminPassword('correct horse battery staple', CHEAP);
    const second = await hashAdminPassword('correct horse battery staple', CHEAP);
    assert.equal(first.algorithm, 'scrypt');
    assert.equal(first.N, 1024);
    assert.notEqual(first.salt, second.salt);
    assert.notEqual(first.hash, second.hash);
    assert.equal(await verifyAdminPassword(first, 'correct horse battery staple'), true);
    assert.equal(await verifyAdminPassword(first, 'correct horse battery stapl'), false);
    assert.equal(await verifyAdminPassword(first, ''), false);
    // The same text composed differently (é as one code point or as e + accent) is the same password.
    const composed = await hashAdminPassword('caf\u00e9 au lait 2026', CHEAP);
    assert.equal(await verifyAdminPassword(composed, 'cafe\u0301 au lait 2026'), true);
  });

  test('the default parameters are OWASP-grade (32 MiB, p=3)', () => {
    assert.deepEqual(DEFAULT_SCRYPT_PARAMETERS, { N: 32768, r: 8, p: 3, keyLength: 32 });
  });

  test('set stores only the hash, 0600; weak or odd passwords are refused', async () => {
    const path = join(dir, 'set.json');
    await setAdminPassword(path, 'a long enough password', CHEAP);
    const text = await readFile(path, 'utf8');
    assert.doesNotMatch(text, /long enough/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const record = await readAdminPassword(path);
    assert.ok(record && (await verifyAdminPassword(record, 'a long enough password')));
    for (const weak of ['short', 'x'.repeat(1025), 'has a\nnewline in it']) {
      await assert.rejects(setAdminPassword(path, weak, CHEAP), AdminPasswordPolicyError);
    }
  });

  test('a tampered file is refused, including parameters that would exhaust memory', async () => {
    const path = join(dir, 'bad.json');
    const good = await hashAdminPassword('a long enough password', CHEAP);
    for (const bad of [
      { ...good, N: 2 ** 24 },
      { ...good, N: 1000 },
      { ...good, algorithm: 'md5' },
      { ...good, hash: '!' },
    ]) {
      await writeFile(path, JSON.stringify(bad));
      await assert.rejects(readAdminPassword(path), AdminPasswordFileError);
    }
    await writeFile(path, 'not json');
    await assert.rejects(readAdminPassword(path), AdminPasswordFileError);
    assert.equal(await readAdminPassword(join(dir, 'none.json')), undefined);
  });

  test('a first start generates a strong password once; later starts keep the one set', async () => {
    const generated = generateAdminPassword();
    assert.match(generated, /^[A-Za-z0-9_-]{24}$/);
    const path = join(dir, 'ensure.json');
    const password = await ensureAdminPassword(path);
    assert.ok(password);
    const record = await readAdminPassword(path);
    assert.ok(record && (await verifyAdminPassword(record, password)));
    assert.equal(await ensureAdminPassword(path), undefined);
  });
});
