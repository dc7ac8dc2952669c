import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, type Logger } from '../../../main/logging/logger.ts';
import { ReplayCache, type RememberedUse } from '../../../main/security/replay-cache.ts';
import { ReplayJournal } from '../../../main/security/replay-journal.ts';

const NOW = new Date('2026-12-03T00:00:00Z');
const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

function recordingLogger(): { logger: Logger; lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return {
    logger: createLogger({
      level: 'info',
      write: (line) => lines.push(JSON.parse(line) as { level: string; msg: string }),
    }),
    lines,
  };
}

/** A cache over the journal at `path`, as the gateway builds it (no reconnection window). */
async function open(path: string, logger: Logger, nowMs = NOW.getTime()): Promise<ReplayCache> {
  const { journal, restored } = await ReplayJournal.open(path, logger, nowMs);
  return new ReplayCache({
    reuseWindowSeconds: () => 0,
    maxReuses: () => 10,
    restored,
    onRemember: (use, remembered) => journal.record(use, remembered),
  });
}

const use = (jti: string, forgetAtMs: number): RememberedUse => ({
  jti,
  address: '192.0.2.1',
  firstUseMs: NOW.getTime() - 1_000,
  forgetAtMs,
});

describe('ReplayJournal', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-replay-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a used token stays used after a reopen, from any address; the file is owner-only', posixOnly, async () => {
    const path = join(dir, 'reopen.jsonl');
    const { logger } = recordingLogger();
    const exp = NOW.getTime() / 1000 + 300;
    const before = await open(path, logger);
    assert.equal(before.use('AAA', '192.0.2.1', exp, NOW), undefined);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const later = new Date(NOW.getTime() + 1_000);
    const reopened = await open(path, logger, later.getTime());
    assert.match(String(reopened.use('aaa', '192.0.2.1', exp, later)), /reconnection window is over/);
    assert.match(String(reopened.use('aaa', '198.51.100.7', exp, later)), /another client address/);
    assert.equal(reopened.use('bbb', '192.0.2.1', exp, later), undefined, 'another token is still fine');
  });

  it('drops expired uses when it opens, and rewrites the file with the rest', async () => {
    const path = join(dir, 'expiry.jsonl');
    const lines = [use('old', NOW.getTime() - 1), use('live', NOW.getTime() + 60_000)].map((u) => JSON.stringify(u));
    await writeFile(path, `${lines.join('\n')}\n`);
    const { journal, restored } = await ReplayJournal.open(path, recordingLogger().logger, NOW.getTime());
    assert.deepEqual(
      restored.map((u) => u.jti),
      ['live'],
    );
    assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 1);
    journal.record(use('next', NOW.getTime() + 60_000), () => []);
    assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 2);
  });

  it('a torn last line (a crash mid-append) is skipped quietly; other bad lines are copied aside and reported', async () => {
    const path = join(dir, 'damaged.jsonl');
    const good = JSON.stringify(use('good', NOW.getTime() + 60_000));
    await writeFile(path, `${good}\n{"jti":"cut`);
    const quiet = recordingLogger();
    const first = await ReplayJournal.open(path, quiet.logger, NOW.getTime());
    assert.deepEqual(
      first.restored.map((u) => u.jti),
      ['good'],
    );
    assert.equal(quiet.lines.filter((line) => line.level === 'error').length, 0);

    await appendFile(path, 'not json\n{"jti":"x","address":"a","firstUseMs":-1,"forgetAtMs":0}\n');
    const noisy = recordingLogger();
    const second = await ReplayJournal.open(path, noisy.logger, NOW.getTime());
    assert.deepEqual(
      second.restored.map((u) => u.jti),
      ['good'],
    );
    assert.ok(noisy.lines.some((line) => line.level === 'error' && /damaged/.test(line.msg)));
    const backups = (await readdir(dir)).filter((name) => name.startsWith('damaged.jsonl.corrupt-'));
    assert.equal(backups.length, 1);
    assert.match(await readFile(join(dir, backups[0] ?? ''), 'utf8'), /not json/);
  });

  it('every 4,096 appends it rewrites the file with only the uses still remembered', async () => {
    const path = join(dir, 'compact.jsonl');
    const { journal } = await ReplayJournal.open(path, recordingLogger().logger, NOW.getTime());
    const kept = use('kept', NOW.getTime() + 60_000);
    for (let index = 0; index < 4_095; index += 1) journal.record(use(`t${index}`, NOW.getTime() + 60_000), () => []);
    assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 4_095);
    journal.record(use('last', NOW.getTime() + 60_000), () => [kept]);
    assert.equal(await readFile(path, 'utf8'), `${JSON.stringify(kept)}\n`);
  });
});
