/**
 * Each host's last reachability on disk (`reachability.json`): saved atomically and together, read back after a
 * restart, bounded, and a file that cannot be used is backed up and reported, never fatal.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ReachabilityFile, REACHABILITY_FILE_NAME } from '../../../main/doctor/reachability-file.ts';
import { MAX_REMEMBERED_HOSTS, ReachabilityBook } from '../../../main/doctor/reachability.ts';
import { createLogger, silentLogger, type Logger } from '../../../main/logging/logger.ts';

function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}

describe('ReachabilityFile', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-reach-'));
    path = join(dir, REACHABILITY_FILE_NAME);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('what a book notes is saved (0600, no temporary file left) and read back by the next start', async () => {
    const file = new ReachabilityFile(path, silentLogger);
    const times = [new Date('2026-12-01T10:00:00Z'), new Date('2026-12-01T11:00:00Z')];
    const book = new ReachabilityBook({ logger: silentLogger, now: () => times.shift() ?? new Date() });
    book.onChange(() => file.save(book.records()));
    book.note('desk', false, { wakeOnLan: 'sent', error: 'did not answer within 120 s of a wake-on-LAN packet' });
    book.note('nas', true);
    await file.flush();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), [REACHABILITY_FILE_NAME]);

    const again = new ReachabilityBook({
      logger: silentLogger,
      initial: await new ReachabilityFile(path, silentLogger).read(),
    });
    assert.deepEqual(again.get('DESK'), {
      host: 'desk',
      reachable: false,
      at: '2026-12-01T10:00:00.000Z',
      woken: true,
      error: 'did not answer within 120 s of a wake-on-LAN packet',
    });
    assert.equal(again.wakeOnLan('desk'), 'sent');
    assert.equal(again.get('nas')?.at, '2026-12-01T11:00:00.000Z');
  });

  test('changes close together are written once, with the last state', async () => {
    const file = new ReachabilityFile(path, silentLogger);
    const book = new ReachabilityBook({ logger: silentLogger });
    book.onChange(() => file.save(book.records()));
    for (let index = 0; index < 50; index += 1) book.note('desk', index % 2 === 0);
    await file.flush();
    const saved = JSON.parse(await readFile(path, 'utf8')) as { hosts: { reachable: boolean }[] };
    assert.deepEqual(
      saved.hosts.map((entry) => entry.reachable),
      [false],
    );
  });

  test('the book is bounded: past MAX_REMEMBERED_HOSTS the oldest host is forgotten', () => {
    const book = new ReachabilityBook({ logger: silentLogger });
    for (let index = 0; index <= MAX_REMEMBERED_HOSTS; index += 1) book.note(`pc${index}`, true);
    assert.equal(book.records().length, MAX_REMEMBERED_HOSTS);
    assert.equal(book.get('pc0'), undefined);
    assert.ok(book.get(`pc${MAX_REMEMBERED_HOSTS}`));
  });

  for (const [what, content] of [
    ['not JSON', '{"version":1,"hosts":[{'],
    ['another shape', JSON.stringify({ version: 1, hosts: [{ host: 'desk', reachable: 'yes' }] })],
    ['too large', `{"version":1,"hosts":[],"pad":"${'x'.repeat(1024 * 1024)}"}`],
  ] as const) {
    test(`a file that is ${what} is backed up, reported, and replaced by the next save`, async () => {
      await writeFile(path, content);
      const { logger, lines } = recordingLogger();
      const file = new ReachabilityFile(path, logger);
      assert.deepEqual(await file.read(), []);
      const backup = (await readdir(dir)).find((name) => name.startsWith(`${REACHABILITY_FILE_NAME}.corrupt-`));
      assert.ok(backup, 'no backup');
      assert.equal(await readFile(join(dir, backup), 'utf8'), content);
      const report = lines.find((line) => line.level === 'error');
      assert.match(String(report?.msg), /last reachability file cannot be used/);
      assert.equal(report?.backupPath, join(dir, backup));

      file.save([{ host: 'desk', reachable: true, at: new Date().toISOString(), woken: false, wakeOnLan: 'off' }]);
      await file.flush();
      assert.equal((await file.read()).length, 1);
    });
  }
});
