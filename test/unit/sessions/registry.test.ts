import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SessionEndReason, SessionInfo } from '../../../shared/model/sessions.ts';
import { createLogger, silentLogger, type Logger } from '../../../main/logging/logger.ts';
import { AUDIT_LOG_FILE_NAME, AuditLog, type AuditEvent, type AuditSink } from '../../../main/sessions/audit-log.ts';
import { SessionRegistry, type SessionStart } from '../../../main/sessions/registry.ts';

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

const UPDATE_INTERVAL_MS = 25;
const T0 = new Date('2030-05-06T07:08:09.000Z');

class RecordingAudit implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
}

function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SessionRegistry', () => {
  let audit: RecordingAudit;
  let clock: Date;
  let registry: SessionRegistry;
  let terminated: SessionEndReason[];
  const registries: SessionRegistry[] = [];

  function createRegistry(logger: Logger = silentLogger): SessionRegistry {
    const created = new SessionRegistry({ audit, logger, now: () => clock, updateIntervalMs: UPDATE_INTERVAL_MS });
    registries.push(created);
    return created;
  }

  function start(overrides: Partial<SessionStart> = {}): SessionStart {
    return {
      transport: 'websocket',
      clientAddress: '192.0.2.7',
      clientName: 'PC1',
      tokenId: 'jti-1',
      host: 'desktop',
      target: '192.168.1.10:3389',
      terminate: (reason) => terminated.push(reason),
      ...overrides,
    };
  }

  /** Collects every event of each kind. */
  function collect(target: SessionRegistry): Record<'start' | 'update' | 'end', SessionInfo[]> {
    const events = { start: [] as SessionInfo[], update: [] as SessionInfo[], end: [] as SessionInfo[] };
    for (const kind of ['start', 'update', 'end'] as const) target.on(kind, (info) => events[kind].push(info));
    return events;
  }

  beforeEach(() => {
    audit = new RecordingAudit();
    clock = T0;
    terminated = [];
    registry = createRegistry();
  });

  afterEach(() => {
    for (const created of registries.splice(0)) created.close();
  });

  it("announces a new session with 'start' and a tunnel.connect audit record", () => {
    const events = collect(registry);
    const handle = registry.open(start());

    const expected: SessionInfo = {
      id: handle.id,
      transport: 'websocket',
      clientAddress: '192.0.2.7',
      clientName: 'PC1',
      tokenId: 'jti-1',
      host: 'desktop',
      target: '192.168.1.10:3389',
      startedAt: T0.toISOString(),
      bytesToTarget: 0,
      bytesToClient: 0,
    };
    assert.deepStrictEqual(events.start, [expected]);
    assert.deepStrictEqual(audit.events, [
      {
        event: 'tunnel.connect',
        session: handle.id,
        transport: 'websocket',
        client: '192.0.2.7',
        clientName: 'PC1',
        tokenId: 'jti-1',
        host: 'desktop',
        target: '192.168.1.10:3389',
      },
    ]);
    assert.equal(registry.size, 1);
    assert.deepStrictEqual(registry.list(), [expected]);
    assert.deepStrictEqual(registry.get(handle.id), expected);
  });

  it('gives each session its own id', () => {
    const a = registry.open(start());
    const b = registry.open(start());
    assert.notEqual(a.id, b.id);
    assert.equal(registry.size, 2);
  });

  it('counts bytes each way', () => {
    const handle = registry.open(start());
    handle.countToTarget(100);
    handle.countToTarget(23);
    handle.countToClient(4000);
    const info = registry.get(handle.id);
    assert.equal(info?.bytesToTarget, 123);
    assert.equal(info?.bytesToClient, 4000);
  });

  it("emits 'update' only when counters changed, at most once per interval", async () => {
    const events = collect(registry);
    const handle = registry.open(start());

    await sleep(UPDATE_INTERVAL_MS * 4);
    assert.equal(events.update.length, 0, 'nothing changed, nothing to announce');

    handle.countToTarget(10);
    handle.countToClient(20);
    handle.countToTarget(5);
    await sleep(UPDATE_INTERVAL_MS * 4);
    assert.equal(events.update.length, 1, 'many counts within one interval make one update');
    assert.equal(events.update[0]?.id, handle.id);
    assert.equal(events.update[0]?.bytesToTarget, 15);
    assert.equal(events.update[0]?.bytesToClient, 20);

    await sleep(UPDATE_INTERVAL_MS * 3);
    assert.equal(events.update.length, 1, 'quiet again, no repeat');

    handle.countToClient(1);
    await sleep(UPDATE_INTERVAL_MS * 4);
    assert.equal(events.update.length, 2, 'traffic after a quiet spell is announced again');
    assert.equal(events.update[1]?.bytesToClient, 21);
  });

  it("counts with no 'update' listener, and a listener that comes later hears the totals at the next count", async () => {
    const handle = registry.open(start());
    handle.countToTarget(100);
    handle.countToClient(200);
    await sleep(UPDATE_INTERVAL_MS * 3);
    assert.equal(registry.get(handle.id)?.bytesToTarget, 100, 'the counters run without a listener');

    const updates: SessionInfo[] = [];
    const stop = registry.on('update', (info) => updates.push(info));
    handle.countToClient(1);
    for (let wait = 0; wait < 100 && updates.length === 0; wait++) await sleep(UPDATE_INTERVAL_MS);
    stop();
    assert.deepEqual(
      updates.map((info) => [info.bytesToTarget, info.bytesToClient]),
      [[100, 201]],
    );
  });

  it("spaces 'update' events at least an interval apart under continuous traffic", async () => {
    const events = collect(registry);
    const times: number[] = [];
    registry.on('update', () => times.push(performance.now()));
    const handle = registry.open(start());

    const began = performance.now();
    while (performance.now() - began < UPDATE_INTERVAL_MS * 8) {
      handle.countToClient(1);
      await sleep(2);
    }
    const elapsed = performance.now() - began;
    assert.ok(events.update.length >= 2, `expected updates under traffic, got ${events.update.length}`);
    assert.ok(events.update.length <= Math.ceil(elapsed / UPDATE_INTERVAL_MS) + 1);
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      // Timers may fire a little late, never much early; 20% slack absorbs scheduling jitter.
      assert.ok(gap >= UPDATE_INTERVAL_MS * 0.8, `updates ${gap.toFixed(1)} ms apart`);
    }
    const counts = events.update.map((info) => info.bytesToClient);
    assert.deepStrictEqual(
      counts,
      [...counts].sort((a, b) => a - b),
      'counters only grow',
    );
  });

  it("announces the end with 'end' (endReason, endedAt) and a tunnel.end record with bytes and duration", () => {
    const events = collect(registry);
    const handle = registry.open(start());
    handle.countToTarget(1500);
    handle.countToClient(64000);
    clock = new Date(T0.getTime() + 90_500);
    handle.end('client-closed', 'bye');

    assert.equal(events.end.length, 1);
    assert.deepStrictEqual(events.end[0], {
      id: handle.id,
      transport: 'websocket',
      clientAddress: '192.0.2.7',
      clientName: 'PC1',
      tokenId: 'jti-1',
      host: 'desktop',
      target: '192.168.1.10:3389',
      startedAt: T0.toISOString(),
      bytesToTarget: 1500,
      bytesToClient: 64000,
      endedAt: clock.toISOString(),
      endReason: 'client-closed',
    });
    assert.deepStrictEqual(audit.events.at(-1), {
      event: 'tunnel.end',
      session: handle.id,
      transport: 'websocket',
      client: '192.0.2.7',
      tokenId: 'jti-1',
      host: 'desktop',
      target: '192.168.1.10:3389',
      reason: 'client-closed',
      detail: 'bye',
      bytesToTarget: 1500,
      bytesToClient: 64000,
      durationMs: 90_500,
    });
    assert.equal(registry.size, 0);
    assert.equal(registry.get(handle.id), undefined);
  });

  it('records the end only once', () => {
    const events = collect(registry);
    const handle = registry.open(start());
    handle.end('target-closed');
    handle.end('admin-disconnect', 'again');
    handle.end('shutdown');
    assert.equal(events.end.length, 1);
    assert.equal(events.end[0]?.endReason, 'target-closed');
    assert.deepStrictEqual(
      audit.events.map((e) => e.event),
      ['tunnel.connect', 'tunnel.end'],
    );
    assert.ok(!('detail' in (audit.events[1] ?? {})), 'no detail when none was given');
  });

  it("sends no 'update' for a session that has ended, even with uncounted traffic", async () => {
    const events = collect(registry);
    const handle = registry.open(start());
    handle.countToClient(10);
    handle.end('client-closed');
    await sleep(UPDATE_INTERVAL_MS * 3);
    assert.deepStrictEqual(events.update, []);
  });

  it("disconnect(id) asks the session's owner to terminate it", () => {
    const a = registry.open(start());
    const b = registry.open(start({ terminate: () => terminated.push('shutdown') }));
    assert.equal(registry.disconnect(a.id), true);
    assert.deepStrictEqual(terminated, ['admin-disconnect']);
    assert.equal(registry.disconnect(b.id, 'shutdown'), true);
    assert.deepStrictEqual(terminated, ['admin-disconnect', 'shutdown']);
    // The owner ends the session when it has torn down; until then it is still listed.
    assert.equal(registry.size, 2);
  });

  it('answers false to disconnect() of an unknown or ended session', () => {
    assert.equal(registry.disconnect('no-such-session'), false);
    const handle = registry.open(start());
    handle.end('client-closed');
    assert.equal(registry.disconnect(handle.id), false);
    assert.deepStrictEqual(terminated, []);
  });

  it('disconnectAll() terminates every live session with the reason', () => {
    registry.open(start());
    registry.open(start());
    registry.disconnectAll('shutdown');
    assert.deepStrictEqual(terminated, ['shutdown', 'shutdown']);
  });

  it('keeps calling the other listeners when one throws, and logs the failure', () => {
    const { logger, lines } = recordingLogger();
    const withLog = createRegistry(logger);
    const seen: string[] = [];
    withLog.on('start', () => {
      throw new Error('listener broke');
    });
    withLog.on('start', (info) => seen.push(info.id));
    withLog.on('end', () => {
      throw new Error('end listener broke');
    });
    withLog.on('end', (info) => seen.push(`end:${info.id}`));

    const handle = withLog.open(start());
    handle.end('client-closed');

    assert.deepStrictEqual(seen, [handle.id, `end:${handle.id}`]);
    assert.equal(audit.events.length, 2, 'the audit trail is complete regardless');
    assert.equal(lines.filter((line) => line.level === 'error').length, 2);
    assert.match(JSON.stringify(lines[0]), /listener broke/);
  });

  it('stops announcing to a listener once it unsubscribes', () => {
    const seen: string[] = [];
    const off = registry.on('start', (info) => seen.push(info.id));
    const first = registry.open(start());
    off();
    registry.open(start());
    assert.deepStrictEqual(seen, [first.id]);
  });
});

describe('AuditLog', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-audit-'));
    path = join(dir, 'logs', AUDIT_LOG_FILE_NAME);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (iso: string) => (): Date => new Date(iso);

  async function lines(): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(path, 'utf8');
    assert.ok(text.endsWith('\n'));
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('appends one JSON object per line, each with its time, and close() flushes them', async () => {
    const log = await AuditLog.open(path, silentLogger, { now: at('2030-01-01T00:00:00.000Z') });
    log.record({ event: 'tunnel.connect', session: 's1', host: 'desktop' });
    log.record({ event: 'tunnel.end', session: 's1', bytesToClient: 42, detail: 'line\nbreak "quoted"' });
    await log.close();

    assert.deepStrictEqual(await lines(), [
      { time: '2030-01-01T00:00:00.000Z', event: 'tunnel.connect', session: 's1', host: 'desktop' },
      {
        time: '2030-01-01T00:00:00.000Z',
        event: 'tunnel.end',
        session: 's1',
        bytesToClient: 42,
        detail: 'line\nbreak "quoted"',
      },
    ]);
  });

  it('creates the file 0600 (in a directory it creates)', posixOnly, async () => {
    const log = await AuditLog.open(path, silentLogger);
    log.record({ event: 'tunnel.refused', reason: 'expired' });
    await log.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('appends to an existing log when reopened, never truncating it', async () => {
    const first = await AuditLog.open(path, silentLogger, { now: at('2030-01-01T00:00:00.000Z') });
    first.record({ event: 'tunnel.connect', session: 'a' });
    await first.close();
    const before = await readFile(path);

    const second = await AuditLog.open(path, silentLogger, { now: at('2030-01-02T00:00:00.000Z') });
    second.record({ event: 'tunnel.end', session: 'a' });
    await second.close();

    const after = await readFile(path);
    assert.deepStrictEqual(after.subarray(0, before.length), before, 'earlier lines are untouched');
    assert.deepStrictEqual(
      (await lines()).map((line) => [line.time, line.event]),
      [
        ['2030-01-01T00:00:00.000Z', 'tunnel.connect'],
        ['2030-01-02T00:00:00.000Z', 'tunnel.end'],
      ],
    );
  });

  it('keeps content written by someone else before it opened', async () => {
    const log = await AuditLog.open(path, silentLogger);
    await log.close();
    await writeFile(path, '{"event":"tunnel.connect","time":"earlier"}\n');
    const reopened = await AuditLog.open(path, silentLogger);
    reopened.record({ event: 'tunnel.end' });
    await reopened.close();
    assert.deepStrictEqual(
      (await lines()).map((line) => line.event),
      ['tunnel.connect', 'tunnel.end'],
    );
  });

  it('flushes many buffered records on close', async () => {
    const log = await AuditLog.open(path, silentLogger);
    for (let i = 0; i < 2000; i++) log.record({ event: 'tunnel.connect', session: `s${i}`, pad: 'x'.repeat(100) });
    await log.close();
    const written = await lines();
    assert.equal(written.length, 2000);
    assert.equal(written.at(-1)?.session, 's1999');
  });

  it('ignores (and warns about) records after close; closing twice is fine', async () => {
    const { logger, lines: logLines } = recordingLogger();
    const log = await AuditLog.open(path, logger);
    log.record({ event: 'tunnel.connect' });
    await log.close();
    log.record({ event: 'tunnel.end' });
    await log.close();
    assert.equal((await lines()).length, 1);
    assert.ok(logLines.some((line) => line.level === 'warn' && line.event === 'tunnel.end'));
  });

  it('fails to open where the file cannot be created', async () => {
    await writeFile(join(dir, 'blocker'), '');
    await assert.rejects(AuditLog.open(join(dir, 'blocker', AUDIT_LOG_FILE_NAME), silentLogger));
  });
});
