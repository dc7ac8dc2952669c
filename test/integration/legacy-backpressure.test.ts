/**
 * Backpressure through the legacy two-channel transport: a target that stops reading makes the gateway stop
 * reading the IN channel; a client that stops reading OUT makes the gateway stop reading the target. Either way the
 * sender stalls after socket buffers' worth, and every byte arrives in order once the slow side resumes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { openLegacyTunnel, type LegacyClientOptions } from '../helpers/legacy-client.ts';
import { PatternSource, TargetServer } from '../helpers/targets.ts';

/** What the sender offers; a gateway that buffers instead of pushing back would take all of it. */
const OFFERED_BYTES = 48 * 1024 * 1024;
const OFFER_TIME_MS = 5_000;
/** No drain for this long = the receiver pushes back. */
const STALL_MS = 400;
const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

describe('backpressure through the legacy transport', { timeout: 60_000 }, () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });

  after(() => gateway.dispose());

  const options = (): LegacyClientOptions => ({
    host: '127.0.0.1',
    port: gateway.port,
    ca: gateway.service.tls.caCertPem,
    timeoutMs: 10_000,
  });

  it('a target that stops reading makes the gateway stop reading IN; then all bytes arrive', async (t) => {
    const sink = await TargetServer.start({ mode: 'sink', pauseOnAccept: true });
    t.after(() => sink.close());
    await gateway.addHost({ name: 'slow-target', port: sink.port });
    const { token } = await gateway.token(['slow-target']);
    const client = await openLegacyTunnel(options(), token, { name: 'slow-target', port: sink.port });
    t.after(() => client.destroy());
    const target = await sink.connection(0);
    const source = new PatternSource();

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
    const session = gateway.service.sessions.list().find((info) => info.host === 'slow-target');
    t.diagnostic(`client sent ${mib(sent)} before stalling; the gateway passed ${mib(session?.bytesToTarget ?? 0)}`);
    assert.ok(stalled, `IN never stalled: ${mib(sent)} taken by a gateway whose target reads nothing`);
    assert.equal(target.bytesReceived, 0);
    assert.ok(sent < OFFERED_BYTES / 2, `only socket buffers' worth is in flight, not ${mib(sent)}`);

    target.resumeReading();
    await client.writeData(source.next(4 * MiB));
    await target.waitForBytes(source.bytes, 15_000);
    assert.equal(target.digest(), source.digest(), 'every byte arrives, in order');
    await client.closeChannel();
    await gateway.removeHost('slow-target');
  });

  it('a client that stops reading OUT makes the gateway stop reading the target; then all bytes arrive', async (t) => {
    const sourceServer = await TargetServer.start({ mode: 'sink' });
    t.after(() => sourceServer.close());
    await gateway.addHost({ name: 'flooding-target', port: sourceServer.port });
    const { token } = await gateway.token(['flooding-target']);
    const client = await openLegacyTunnel(options(), token, { name: 'flooding-target', port: sourceServer.port });
    t.after(() => client.destroy());
    client.pauseReading();
    const target = await sourceServer.connection(0);
    const source = new PatternSource();

    const flood = target.flood(source, { totalBytes: OFFERED_BYTES, stallMs: STALL_MS, timeoutMs: 30_000 });
    flood.done.catch(() => undefined);
    const { bytesWritten } = await flood.stalled;
    const session = gateway.service.sessions.list().find((info) => info.host === 'flooding-target');
    t.diagnostic(
      `target wrote ${mib(bytesWritten)} before stalling; gateway passed ${mib(session?.bytesToClient ?? 0)}`,
    );
    assert.ok(bytesWritten < OFFERED_BYTES / 2, `the target wrote ${mib(bytesWritten)} to a client that reads nothing`);
    assert.equal(client.dataBytesReceived, 0, 'the client really read nothing');

    client.resumeReading();
    const hash = createHash('sha256');
    for (let received = 0; received < OFFERED_BYTES; received += MiB) {
      hash.update(await client.readData(MiB, 15_000));
    }
    const done = await flood.done;
    assert.equal(hash.digest('hex'), done.digest, 'every byte arrives, in order');
    await client.closeChannel();
    await gateway.removeHost('flooding-target');
  });
});
