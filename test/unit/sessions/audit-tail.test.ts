import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  MAX_AUDIT_QUERY_SCAN_BYTES,
  MAX_AUDIT_TAIL_BYTES,
  queryAudit,
  readAuditTail,
} from '../../../main/sessions/audit-tail.ts';

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

describe('queryAudit: pages beyond the newest few, filtered', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-audit-query-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const record = (index: number, event: string, host: string, pad = ''): string =>
    `${JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(), event, host, index, pad })}\n`;

  /** Every page from the newest to the start, following `next`. */
  async function allPages(path: string, query: Omit<Parameters<typeof queryAudit>[1], 'before'>): Promise<number[][]> {
    const pages: number[][] = [];
    let before: number | undefined;
    for (let guard = 0; guard < 1000; guard += 1) {
      const page = await queryAudit(path, { ...query, before });
      pages.push(page.entries.map((entry) => entry.index as number));
      if (page.next === undefined) return pages;
      assert.ok(before === undefined || page.next < before, 'each page is older than the one before');
      before = page.next;
    }
    throw new Error('paging did not end');
  }

  test('pages through the whole log, newest first, each line once, across chunk boundaries', async () => {
    const path = join(dir, 'pages.log');
    const lines = Array.from({ length: 700 }, (_, index) =>
      record(index, 'tunnel.end', 'desk', 'p'.repeat(index % 300)),
    );
    await writeFile(path, lines.join(''));
    const pages = await allPages(path, { limit: 200 });
    assert.deepEqual(
      pages.map((page) => page.length),
      [200, 200, 200, 100],
    );
    assert.deepEqual(
      pages.flat(),
      Array.from({ length: 700 }, (_, i) => 699 - i),
    );
  });

  test('filters by event type, text (any case) and time range', async () => {
    const path = join(dir, 'filters.log');
    const lines = Array.from({ length: 300 }, (_, index) =>
      record(index, index % 3 === 0 ? 'tunnel.refused' : 'tunnel.end', index % 2 === 0 ? 'Desk' : 'nas'),
    );
    await writeFile(path, lines.join(''));
    const refused = (await allPages(path, { limit: 40, event: 'tunnel.refused' })).flat();
    assert.deepEqual(
      refused,
      Array.from({ length: 100 }, (_, i) => 297 - i * 3),
    );
    const desk = (await allPages(path, { limit: 500, search: 'DESK' })).flat();
    assert.equal(desk.length, 150);
    assert.ok(desk.every((index) => index % 2 === 0));
    const from = new Date(Date.UTC(2026, 0, 1, 0, 100)).toISOString();
    const to = new Date(Date.UTC(2026, 0, 1, 0, 110)).toISOString();
    const window = await queryAudit(path, { limit: 500, from, to });
    assert.deepEqual(
      window.entries.map((entry) => entry.index),
      [109, 108, 107, 106, 105, 104, 103, 102, 101, 100],
    );
    assert.equal(window.next, undefined, 'nothing older than `from` is looked for');
    const combined = await queryAudit(path, { limit: 500, from, to, event: 'tunnel.refused', search: 'desk' });
    assert.deepEqual(
      combined.entries.map((entry) => entry.index),
      [108, 102],
    );
  });

  test('skips torn and foreign lines; a missing or empty log is one empty page', async () => {
    const path = join(dir, 'torn.log');
    await writeFile(path, `${record(1, 'a', 'h')}not json\n[1]\n${record(2, 'b', 'h')}{"time":"2026`);
    const page = await queryAudit(path, { limit: 10 });
    assert.deepEqual(
      page.entries.map((entry) => entry.index),
      [2, 1],
    );
    assert.equal(page.next, undefined);
    assert.deepEqual(await queryAudit(join(dir, 'none.log'), { limit: 10 }), { entries: [], next: undefined });
    await writeFile(join(dir, 'empty.log'), '');
    assert.deepEqual(await queryAudit(join(dir, 'empty.log'), { limit: 10 }), { entries: [], next: undefined });
  });

  test('a search that matches little reads a bounded window per page and says where to go on', async () => {
    const path = join(dir, 'sparse.log');
    const filler = record(0, 'tunnel.end', 'nas', 'z'.repeat(1024));
    const count = Math.ceil((MAX_AUDIT_QUERY_SCAN_BYTES * 1.5) / filler.length);
    await writeFile(path, record(1, 'tunnel.end', 'needle') + filler.repeat(count));
    const first = await queryAudit(path, { limit: 10, search: 'needle' });
    assert.deepEqual(first.entries, []);
    assert.ok(first.next !== undefined && first.next > 0, 'the page ends at the scan budget, with a cursor');
    const second = await queryAudit(path, { limit: 10, search: 'needle', before: first.next });
    assert.deepEqual(
      second.entries.map((entry) => entry.index),
      [1],
    );
    assert.equal(second.next, undefined);
  });
});
