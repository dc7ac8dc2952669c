/**
 * Backpressure through the real gateway: when one side stops reading, the gateway must stop reading the other
 * side (so TCP pushes back on the sender) instead of buffering without bound — and everything must arrive intact
 * once the slow side resumes.
 *
 * The client, the gateway and the target share this process, so memory is measured after a forced GC:
 * `arrayBuffers` (Buffer memory held by JS, i.e. what a buffering gateway would hold) tightly, `rss` loosely.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { PatternSource, TargetServer } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';

/** What the sender offers; a gateway that buffers instead of pushing back would take all of it. */
const OFFERED_BYTES = 64 * 1024 * 1024;
/** How long the sender keeps offering before giving up on a stall. */
const OFFER_TIME_MS = 5_000;
/** No drain for this long = the receiver pushes back. */
const STALL_MS = 400;
/** Buffer memory the whole process (client + gateway + target) may hold at the stall. */
const MAX_HELD_BUFFER_BYTES = 8 * 1024 * 1024;
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Memory after a full GC, as the minimum of a few samples taken on separate event-loop turns: Buffers of writes
 * that just completed are released a few turns late, while anything a gateway really holds shows in every sample.
 */
async function memoryAfterGc(): Promise<{ rss: number; arrayBuffers: number }> {
  let rss = Infinity;
  let arrayBuffers = Infinity;
  for (let sample = 0; sample < 8; sample++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const usage = process.memoryUsage();
    rss = Math.min(rss, usage.rss);
    arrayBuffers = Math.min(arrayBuffers, usage.arrayBuffers);
  }
  return { rss, arrayBuffers };
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

describe('backpressure through the gateway', { timeout: 60_000 }, () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });

  after(() => gateway.dispose());

  it('a target that stops reading makes the gateway stop reading the client; then all bytes arrive', async (t) => {
    const sink = await TargetServer.start({ mode: 'sink', pauseOnAccept: true });
    t.after(() => sink.close());
    await gateway.addHost({ name: 'slow-target', port: sink.port });
    const { token } = await gateway.token(['slow-target']);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'slow-target', port: sink.port });
    t.after(() => client.destroy());
    const target = await sink.connection(0);
    const source = new PatternSource();

    const before = await memoryAfterGc();
    const started = Date.now();
    let sent = 0;
    let stalled = false;
    while (sent < OFFERED_BYTES && Date.now() - started < OFFER_TIME_MS) {
      sent += 65_535;
      if (!client.sendData(source.next(65_535)) && !(await client.waitForDrain(STALL_MS))) {
        stalled = true;
        break;
      }
    }
    const atStall = await memoryAfterGc();
    const session = gateway.service.sessions.list().find((info) => info.host === 'slow-target');
    t.diagnostic(
      `client sent ${mib(sent)} before stalling; gateway passed ${mib(session?.bytesToTarget ?? 0)} to the target; ` +
        `Δrss ${mib(atStall.rss - before.rss)}, ΔarrayBuffers ${mib(atStall.arrayBuffers - before.arrayBuffers)}`,
    );

    assert.ok(stalled, `the client's writes never stalled: ${mib(sent)} taken by a gateway whose target reads nothing`);
    assert.equal(target.bytesReceived, 0, 'the target really read nothing');
    assert.ok(sent < OFFERED_BYTES / 2, `only socket buffers' worth is in flight, not ${mib(sent)}`);
    assert.ok(
      atStall.arrayBuffers - before.arrayBuffers < MAX_HELD_BUFFER_BYTES,
      `buffers held at the stall grew by ${mib(atStall.arrayBuffers - before.arrayBuffers)}`,
    );
    assert.ok(atStall.rss - before.rss < OFFERED_BYTES / 2, `rss grew by ${mib(atStall.rss - before.rss)}`);

    // The stall holds: the gateway takes nothing more while the target still does not read.
    const heldAt = gateway.service.sessions.list().find((info) => info.host === 'slow-target')?.bytesToTarget;
    assert.equal(await client.waitForDrain(STALL_MS), false);
    assert.equal(gateway.service.sessions.list().find((info) => info.host === 'slow-target')?.bytesToTarget, heldAt);

    target.resumeReading();
    await client.writeData(source.next(4 * MiB), 10_000);
    await target.waitForBytes(source.bytes, 15_000);
    assert.equal(target.bytesReceived, source.bytes);
    assert.equal(target.digest(), source.digest(), 'every byte arrives, in order');
    await client.closeChannel();
    await gateway.removeHost('slow-target');
  });

  it('a client that stops reading makes the gateway stop reading the target; then all bytes arrive', async (t) => {
    const sourceServer = await TargetServer.start({ mode: 'sink' });
    t.after(() => sourceServer.close());
    await gateway.addHost({ name: 'flooding-target', port: sourceServer.port });
    const { token } = await gateway.token(['flooding-target']);
    const client = await openTunnel(gateway.clientOptions(), token, {
      name: 'flooding-target',
      port: sourceServer.port,
    });
    t.after(() => client.destroy());
    client.pauseReading();
    const target = await sourceServer.connection(0);
    const source = new PatternSource();

    const before = await memoryAfterGc();
    const flood = target.flood(source, { totalBytes: OFFERED_BYTES, stallMs: STALL_MS, timeoutMs: 30_000 });
    flood.done.catch(() => undefined);
    const { bytesWritten } = await flood.stalled;
    const atStall = await memoryAfterGc();
    const session = gateway.service.sessions.list().find((info) => info.host === 'flooding-target');
    t.diagnostic(
      `target wrote ${mib(bytesWritten)} before stalling; gateway passed ${mib(session?.bytesToClient ?? 0)} to the ` +
        `client; Δrss ${mib(atStall.rss - before.rss)}, ΔarrayBuffers ${mib(atStall.arrayBuffers - before.arrayBuffers)}`,
    );

    assert.ok(bytesWritten < OFFERED_BYTES / 2, `the target wrote ${mib(bytesWritten)} to a client that reads nothing`);
    assert.equal(client.dataBytesReceived, 0, 'the client really read nothing');
    assert.ok(
      atStall.arrayBuffers - before.arrayBuffers < MAX_HELD_BUFFER_BYTES,
      `buffers held at the stall grew by ${mib(atStall.arrayBuffers - before.arrayBuffers)}`,
    );
    assert.ok(atStall.rss - before.rss < OFFERED_BYTES / 2, `rss grew by ${mib(atStall.rss - before.rss)}`);

    client.resumeReading();
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of client.data()) {
      hash.update(chunk);
      received += chunk.length;
      if (received >= OFFERED_BYTES) break;
    }
    const done = await flood.done;
    assert.equal(received, OFFERED_BYTES);
    assert.equal(hash.digest('hex'), done.digest, 'every byte arrives, in order');
    assert.ok(client.largestDataPayloadReceived <= 65_535);
    assert.deepEqual(client.violations, []);
    await client.closeChannel();
    await gateway.removeHost('flooding-target');
  });
});
