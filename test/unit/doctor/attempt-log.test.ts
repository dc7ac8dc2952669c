import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  AttemptLog,
  MAX_ATTEMPTS_FILE_BYTES,
  MAX_ATTEMPTS_IN_MEMORY,
  MAX_ATTEMPTS_PER_MINUTE,
  readAttemptsFile,
} from '../../../main/doctor/attempt-log.ts';
import type { Diagnosis } from '../../../main/doctor/causes.ts';
import { ReachabilityBook, watchConnector } from '../../../main/doctor/reachability.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { DialError } from '../../../main/relay/dial.ts';
import type { Connector } from '../../../main/relay/connector.ts';

const DIAGNOSIS: Diagnosis = {
  stage: 'token',
  code: 'token-expired',
  cause: 'The access token has expired.',
  fix: 'Export a new .rdp file.',
};

/** A clock the test moves: a minute per step keeps the per-minute budget out of the way. */
function steppingClock(stepMs: number): () => Date {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  return () => new Date((now += stepMs));
}

test('memory holds the newest MAX_ATTEMPTS_IN_MEMORY; the file rotates once, so disk stays bounded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-attempts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'attempts.log');
  const log = new AttemptLog({ path, logger: silentLogger, now: steppingClock(60_000) });
  const seen: string[] = [];
  log.onAttempt((attempt) => seen.push(attempt.id));
  const total = Math.ceil(MAX_ATTEMPTS_FILE_BYTES / 250) * 2 + 50;
  for (let index = 0; index < total; index += 1) {
    log.record(DIAGNOSIS, { client: `10.0.${index >> 8}.${index & 255}`, transport: 'websocket', host: 'desk' });
  }
  await log.flush();
  assert.equal(seen.length, total, 'one event per attempt');
  const listed = log.list();
  assert.equal(listed.length, MAX_ATTEMPTS_IN_MEMORY);
  assert.equal(listed[0]?.id, seen.at(-1), 'newest first');
  const current = await stat(path);
  const rotated = await stat(`${path}.1`);
  assert.ok(current.size <= MAX_ATTEMPTS_FILE_BYTES && rotated.size <= MAX_ATTEMPTS_FILE_BYTES);
  assert.equal(current.mode & 0o777, 0o600);
  const fromDisk = await readAttemptsFile(path, 5);
  assert.deepEqual(
    fromDisk.map((attempt) => attempt.id),
    listed.slice(0, 5).map((attempt) => attempt.id),
  );
  const reopened = await AttemptLog.open(path, silentLogger);
  assert.deepEqual(
    reopened.list(3).map((attempt) => attempt.id),
    listed.slice(0, 3).map((attempt) => attempt.id),
    'a restart keeps the recent attempts',
  );
});

test('a flood is cut at MAX_ATTEMPTS_PER_MINUTE; the next minute records again', () => {
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const log = new AttemptLog({ logger: silentLogger, now: () => new Date(now) });
  let recorded = 0;
  for (let index = 0; index < MAX_ATTEMPTS_PER_MINUTE * 3; index += 1) {
    if (log.record(DIAGNOSIS, { client: '10.0.0.1', transport: 'tls' })) recorded += 1;
  }
  assert.equal(recorded, MAX_ATTEMPTS_PER_MINUTE);
  now += 60_000;
  assert.ok(log.record(DIAGNOSIS, { client: '10.0.0.1', transport: 'tls' }));
});

test('client text is stripped of control characters and cut short; unreadable lines are skipped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-attempts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'attempts.log');
  const log = new AttemptLog({ path, logger: silentLogger });
  const attempt = log.record(DIAGNOSIS, {
    client: '10.0.0.1',
    transport: 'websocket',
    requested: `evil\r\nname${'x'.repeat(1000)}`,
  });
  assert.ok(attempt?.requested);
  assert.doesNotMatch(attempt.requested, /[\r\n]/);
  assert.ok(attempt.requested.length <= 301);
  await log.flush();
  await writeFile(path, `${await readFile(path, 'utf8')}{"not":"an attempt"}\n{torn`);
  const read = await readAttemptsFile(path, 10);
  assert.deepEqual(
    read.map((entry) => entry.id),
    [attempt.id],
  );
});

test('watchConnector notes reachability and whether Wake-on-LAN was used', async () => {
  const book = new ReachabilityBook({ logger: silentLogger });
  const desk = { name: 'desk', address: '127.0.0.1', port: 3389, mac: '00:11:22:33:44:55' };
  const nas = { name: 'nas', address: '127.0.0.1', port: 3390 };
  let answer: 'ok' | 'woken' | 'fail' = 'fail';
  const inner: Connector = {
    connect: (hosts) => {
      if (answer === 'fail') return Promise.reject(new DialError('timeout', 'no answer'));
      return Promise.resolve({
        socket: undefined as never,
        host: hosts[0] as typeof desk,
        failures: [],
        woken: answer === 'woken',
      });
    },
  };
  const connector = watchConnector(inner, book, () => true);
  await assert.rejects(connector.connect([desk]), DialError);
  await assert.rejects(connector.connect([nas]), DialError);
  assert.equal(book.wakeOnLan('desk'), 'sent');
  assert.equal(book.wakeOnLan('nas'), 'no-mac');
  assert.equal(book.get('desk')?.reachable, false);
  answer = 'woken';
  await connector.connect([desk]);
  assert.equal(book.get('DESK')?.reachable, true);
  assert.equal(book.get('desk')?.woken, true);
  assert.equal(book.wakeOnLan('desk'), undefined, 'reachable now');
  assert.deepEqual(
    book.list().map((entry) => entry.host),
    ['nas', 'desk'],
  );
});
