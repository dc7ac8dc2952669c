/**
 * The bench's RDP-like probe (bench/rdp-probe.ts): the interactive echo runs in a child process of its own, driven
 * over IPC by bench/phases/rdp.ts. Against the bench's real target process on loopback, over the direct row: the
 * echo comes back and is timed, the child reports its own event-loop delay, and a bad request is a clear error that
 * leaves the child answering.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTarget, stopChild } from '../../bench/lib/children.ts';
import { ProbeProcess } from '../../bench/phases/rdp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT_MS = 10_000;

describe('bench RDP-like probe process', () => {
  let target: { child: ChildProcess; port: number };
  let probe: ProbeProcess;
  // The direct row needs no gateway and no token: no data directory is read.
  const context = () => ({ targetPort: target.port, timeoutMs: TIMEOUT_MS, dataDir: join(ROOT, 'no-such-dir') });

  before(async () => {
    target = await startTarget();
    probe = await ProbeProcess.start(TIMEOUT_MS);
  });

  after(async () => {
    await probe?.stop();
    if (target) await stopChild(target.child);
  });

  it('times echoes over the direct row in its own process and reports its own loop delay', async () => {
    await probe.open('direct', context());
    const { samples, eventLoopDelayP99Ms } = await probe.run(0.3, 20);
    assert.ok(samples.length >= 2, `${samples.length} samples`);
    for (const ms of samples) assert.ok(ms > 0 && Number.isFinite(ms), `sample ${ms}`);
    assert.ok(eventLoopDelayP99Ms >= 0 && Number.isFinite(eventLoopDelayP99Ms));
  });

  it('refuses an unknown row and a run without a stream, and keeps answering', async () => {
    await assert.rejects(probe.open('no-such-row', context()), /no transport "no-such-row"/);
    await assert.rejects(probe.run(0.1, 20), /run before open/);
    await probe.open('direct', context());
    assert.ok((await probe.run(0.1, 20)).samples.length >= 1);
  });

  it('says so when the target is gone', async () => {
    await assert.rejects(probe.open('direct', { ...context(), targetPort: 1 }), /the RDP-like probe: .*ECONNREFUSED/);
  });
});
