/**
 * The audit log's bounds: rotation by size, folding of refusal floods, and recovery after a real write failure
 * (the log path is pointed at /dev/full, whose every write fails with ENOSPC, then at a writable file again).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../main/logging/logger.ts';
import {
  AUDIT_FOLD_FULL_LINES,
  AUDIT_FOLD_MAX_KEYS,
  AUDIT_LOG_FILE_NAME,
  AuditLog,
  type AuditLogProblem,
} from '../../../main/sessions/audit-log.ts';

const linuxOnly = { skip: process.platform === 'linux' ? false : '/dev/full is Linux' };

async function records(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`gave up waiting for ${what}`);
}

describe('AuditLog bounds', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-audit-bounds-'));
    path = join(dir, AUDIT_LOG_FILE_NAME);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates by size and keeps a bounded number of files, the newest lines intact', async () => {
    const log = await AuditLog.open(path, silentLogger, { maxBytes: 4096, rotatedFiles: 3 });
    for (let i = 0; i < 400; i += 1) {
      log.record({ event: 'tunnel.connect', session: `s${i}`, pad: 'x'.repeat(60) });
      // Let some writes happen between records, as in a running gateway.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.close();
    const files = (await readdir(dir)).sort();
    assert.deepStrictEqual(files, [
      AUDIT_LOG_FILE_NAME,
      `${AUDIT_LOG_FILE_NAME}.1`,
      `${AUDIT_LOG_FILE_NAME}.2`,
      `${AUDIT_LOG_FILE_NAME}.3`,
    ]);
    for (const file of files) assert.ok((await stat(join(dir, file))).size <= 4096, file);
    const kept = [
      ...(await records(`${path}.3`)),
      ...(await records(`${path}.2`)),
      ...(await records(`${path}.1`)),
      ...(await records(path)),
    ].map((record) => Number(String(record.session).slice(1)));
    assert.equal(kept.at(-1), 399);
    assert.deepStrictEqual(
      kept,
      kept.map((_, index) => (kept[0] ?? 0) + index),
      'consecutive, oldest file first: nothing lost or reordered within the kept files',
    );
  });

  it('folds a flood of one refusal into one line per client and reason, with a count', async () => {
    const log = await AuditLog.open(path, silentLogger, { foldIntervalMs: 60_000 });
    for (let i = 0; i < 5000; i += 1) {
      log.record({
        event: 'tunnel.refused',
        transport: 'websocket',
        client: '192.0.2.1',
        stage: 'handshake',
        reason: 'refused',
        detail: 'bad token',
      });
    }
    log.record({
      event: 'tunnel.refused',
      transport: 'websocket',
      client: '192.0.2.2',
      stage: 'handshake',
      reason: 'refused',
    });
    log.record({
      event: 'tunnel.refused',
      transport: 'websocket',
      client: '192.0.2.1',
      stage: 'handshake',
      reason: 'timeout',
    });
    log.record({ event: 'tunnel.connect', client: '192.0.2.1', session: 'a' });
    await log.close();
    const written = await records(path);
    assert.equal(written.length, AUDIT_FOLD_FULL_LINES + 4);
    assert.equal(written[0]?.detail, 'bad token', 'the first of a window is written in full');
    const summary = written.find((record) => record.repeated !== undefined);
    assert.equal(summary?.client, '192.0.2.1');
    assert.equal(summary?.reason, 'refused');
    assert.equal(summary?.repeated, 5000 - AUDIT_FOLD_FULL_LINES);
    assert.equal(typeof summary?.since, 'string');
    assert.ok(
      written.some((record) => record.event === 'tunnel.connect'),
      'other events are never folded',
    );
  });

  it('a line is in the file as soon as record returns (nothing waits in the process to be lost in a crash)', async () => {
    const log = await AuditLog.open(path, silentLogger);
    log.record({ event: 'tunnel.connect', session: 'now' });
    assert.match(readFileSync(path, 'utf8'), /"session":"now"/);
    await log.close();
  });

  it('folds many clients into a bounded number of lines', async () => {
    const log = await AuditLog.open(path, silentLogger);
    for (let i = 0; i < 20_000; i += 1) {
      log.record({ event: 'tunnel.refused', client: `2001:db8::${i.toString(16)}`, reason: 'bad-token' });
    }
    await log.close();
    const written = await records(path);
    assert.equal(written.length, AUDIT_FOLD_MAX_KEYS + 1, 'one line per followed refusal, and one summary');
    assert.equal(written.at(-1)?.client, '*');
    assert.equal(written.at(-1)?.repeated, 20_000 - AUDIT_FOLD_MAX_KEYS);
  });

  it(
    'after a write failure (ENOSPC), reports it, keeps the lines, and writes again in a new file',
    linuxOnly,
    async () => {
      // Every write to /dev/full fails with ENOSPC: a full disk, for real.
      await symlink('/dev/full', path);
      const log = await AuditLog.open(path, silentLogger, { retryMs: 20 });
      const problems: (AuditLogProblem | undefined)[] = [];
      log.onProblemChange((problem) => problems.push(problem));
      log.record({ event: 'tunnel.connect', session: 'during' });
      await until('the failure to be reported', () => log.problem !== undefined);
      assert.match(log.problem?.error ?? '', /ENOSPC/);
      // The disk has room again (here: the path names a regular file again).
      await rm(path);
      log.record({ event: 'tunnel.end', session: 'after' });
      await until('the log to be written again', async () => (await records(path)).some((r) => r.session === 'after'));
      assert.equal(log.problem, undefined);
      await log.close();
      const written = await records(path);
      assert.deepStrictEqual(
        written.map((record) => record.event),
        ['audit.resumed', 'tunnel.connect', 'tunnel.end'],
      );
      assert.match(String(written[0]?.error), /ENOSPC/);
      assert.equal(written[0]?.dropped, 0);
      assert.equal(problems.at(-1), undefined);
      assert.ok(problems[0]?.since);
    },
  );
});
