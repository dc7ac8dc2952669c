import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_AUDIT_TAIL_BYTES, readAuditTail } from '../../../main/sessions/audit-tail.ts';

describe('readAuditTail', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-audit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const line = (index: number, extra = ''): string =>
    `${JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(), event: 'tunnel.end', index, extra })}\n`;

  test('answers the newest lines first, at most the limit, over chunk boundaries', async () => {
    const path = join(dir, 'a.log');
    // Long lines so that the file spans several 64 KiB chunks and lines straddle them.
    const lines = Array.from({ length: 400 }, (_, index) => line(index, 'x'.repeat(index * 7)));
    await writeFile(path, lines.join(''));
    const tail = await readAuditTail(path, 250);
    assert.equal(tail.length, 250);
    assert.deepEqual(
      tail.map((entry) => entry.index),
      Array.from({ length: 250 }, (_, i) => 399 - i),
    );
    const all = await readAuditTail(path, 1000);
    assert.equal(all.length, 400);
    assert.equal(all.at(-1)?.index, 0, 'the first line of the file counts too');
  });

  test('skips torn and foreign lines, and a missing file is empty', async () => {
    const path = join(dir, 'b.log');
    await writeFile(path, `${line(1)}not json\n[1,2]\n{"event":"no time"}\n${line(2)}{"time":"2026`);
    assert.deepEqual(
      (await readAuditTail(path, 10)).map((entry) => entry.index),
      [2, 1],
    );
    assert.deepEqual(await readAuditTail(join(dir, 'none.log'), 10), []);
  });

  test('reads at most MAX_AUDIT_TAIL_BYTES from the end of a huge log', async () => {
    const path = join(dir, 'c.log');
    const filler = line(0, 'y'.repeat(1024));
    const count = Math.ceil((MAX_AUDIT_TAIL_BYTES * 1.5) / filler.length);
    await writeFile(path, filler.repeat(count) + line(9));
    const tail = await readAuditTail(path, 1000);
    assert.equal(tail[0]?.index, 9);
    assert.ok(tail.length === 1000);
    const everything = await readAuditTail(path, 100_000);
    assert.ok(everything.length < count, 'older lines beyond the window are not reached');
  });
});
