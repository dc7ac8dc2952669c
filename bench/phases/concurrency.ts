/**
 * Many concurrent tunnels with light traffic, in a fresh gateway: for each level the tunnels are topped up to the
 * level (bounded concurrency), the gateway's resident memory is read after a GC, then every tunnel sends a small
 * packet and waits for its echo once per `intervalMs` for `trafficMs`, while the gateway's event-loop delay is
 * recorded; memory is read again once the traffic stops. Errors are failed opens, lost or wrong echoes, closes.
 */
import type { GatewayProcess, ProbeSample } from '../lib/gateway.ts';
import { distribution, loopDelay, round, sleep, type Distribution } from '../lib/stats.ts';
import { readExactly, startEcho, type BenchStream, type Transport, type TransportContext } from '../lib/transports.ts';

export interface ConcurrencyOptions {
  readonly levels: readonly number[];
  readonly openConcurrency: number;
  readonly packetBytes: number;
  readonly intervalMs: number;
  readonly trafficMs: number;
}

export interface MemoryFigures {
  readonly rssKiB: number;
  readonly heapUsedKiB: number;
  readonly externalKiB: number;
  readonly arrayBuffersKiB: number;
}

export interface ConcurrencyLevel {
  readonly tunnels: number;
  readonly openErrors: number;
  readonly trafficErrors: number;
  readonly firstError: string | undefined;
  readonly roundTrips: number;
  readonly roundTrip: Distribution;
  readonly openSeconds: number;
  /** After a GC, with the tunnels open but before any traffic. */
  readonly idleMemory: MemoryFigures;
  /** After a GC, once the light traffic has stopped (the tunnels idle again). */
  readonly afterTrafficMemory: MemoryFigures;
  readonly perTunnelKiB: { readonly idle: number; readonly afterTraffic: number };
  readonly gatewayEventLoopDelay: ProbeSample['eventLoopDelay'];
  readonly gatewayGc: ProbeSample['gc'];
  readonly gatewayCpuPercent: number;
  readonly loadGeneratorEventLoopDelayP99Ms: number;
}

export interface ConcurrencyResult {
  readonly baselineMemory: MemoryFigures;
  readonly levels: readonly ConcurrencyLevel[];
  readonly afterCloseMemory: MemoryFigures;
}

const kib = (bytes: number): number => Math.round(bytes / 1024);
function memory(sample: ProbeSample): MemoryFigures {
  return {
    rssKiB: kib(sample.memory.rss),
    heapUsedKiB: kib(sample.memory.heapUsed),
    externalKiB: kib(sample.memory.external),
    arrayBuffersKiB: kib(sample.memory.arrayBuffers),
  };
}

/** The lower of two GC'd samples: RSS read once can still include pages the allocator is about to return. */
async function settledMemory(gateway: GatewayProcess): Promise<MemoryFigures> {
  const first = memory(await gateway.sample(true));
  const second = memory(await gateway.sample(true));
  return first.rssKiB <= second.rssKiB ? first : second;
}

interface Tunnel {
  readonly stream: BenchStream;
  failed: boolean;
}

export async function measureConcurrency(
  transport: Transport,
  context: TransportContext,
  gateway: GatewayProcess,
  options: ConcurrencyOptions,
  progress: (line: string) => void,
): Promise<ConcurrencyResult> {
  const tunnels: Tunnel[] = [];
  let firstError: string | undefined;
  const note = (error: unknown): void => {
    firstError ??= (error as Error).message;
  };

  // Warm the gateway's code paths, so the baseline is not a cold process.
  for (let i = 0; i < 20; i++) {
    const stream = await transport.open(context);
    startEcho(stream);
    stream.write(Buffer.alloc(options.packetBytes));
    await readExactly(stream, options.packetBytes, context.timeoutMs);
    stream.destroy();
  }
  await sleep(500);
  const baseline = await settledMemory(gateway);
  const levels: ConcurrencyLevel[] = [];

  for (const level of options.levels) {
    let openErrors = 0;
    const openStart = process.hrtime.bigint();
    let next = tunnels.length;
    const opener = async (): Promise<void> => {
      while (next < level) {
        next++;
        try {
          const stream = await transport.open(context);
          startEcho(stream);
          tunnels.push({ stream, failed: false });
        } catch (error) {
          openErrors++;
          note(error);
        }
      }
    };
    await Promise.all(Array.from({ length: options.openConcurrency }, opener));
    const openSeconds = round(Number(process.hrtime.bigint() - openStart) / 1e9, 2);
    await sleep(500);
    const idleMemory = await settledMemory(gateway);

    await gateway.reset();
    const ownDelay = loopDelay();
    const samples: number[] = [];
    let trafficErrors = 0;
    const deadline = Date.now() + options.trafficMs;
    const talk = async (tunnel: Tunnel, index: number): Promise<void> => {
      const payload = Buffer.alloc(options.packetBytes);
      payload.writeUInt32BE(index, 0);
      await sleep(Math.random() * options.intervalMs);
      let sequence = 0;
      while (Date.now() < deadline && !tunnel.failed) {
        payload.writeUInt32BE(sequence++, 4);
        const start = process.hrtime.bigint();
        try {
          tunnel.stream.write(payload);
          const echoed = await readExactly(tunnel.stream, options.packetBytes, context.timeoutMs);
          if (!echoed.equals(payload)) throw new Error('an echo differs from what was sent');
        } catch (error) {
          tunnel.failed = true;
          trafficErrors++;
          note(error);
          return;
        }
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        samples.push(ms);
        await sleep(Math.max(0, options.intervalMs - ms));
      }
    };
    await Promise.all(tunnels.map((tunnel, index) => talk(tunnel, index)));
    const ownDelayP99Ms = ownDelay.p99Ms();
    ownDelay.stop();
    const window = await gateway.sample();
    const afterTrafficMemory = await settledMemory(gateway);
    const count = tunnels.length;
    const perTunnel = (figures: MemoryFigures): number =>
      count === 0 ? 0 : round((figures.rssKiB - baseline.rssKiB) / count, 1);
    const result: ConcurrencyLevel = {
      tunnels: level,
      openErrors,
      trafficErrors,
      firstError,
      roundTrips: samples.length,
      roundTrip: distribution(samples),
      openSeconds,
      idleMemory,
      afterTrafficMemory,
      perTunnelKiB: { idle: perTunnel(idleMemory), afterTraffic: perTunnel(afterTrafficMemory) },
      gatewayEventLoopDelay: window.eventLoopDelay,
      gatewayGc: window.gc,
      gatewayCpuPercent: round(((window.cpu.user + window.cpu.system) / 1000 / window.wallMs) * 100, 1),
      // The histogram holds the time between its timer's runs: the lag is that minus the resolution.
      loadGeneratorEventLoopDelayP99Ms: ownDelayP99Ms,
    };
    levels.push(result);
    progress(
      `  ${level} tunnels: ${openErrors + trafficErrors} errors, ${result.perTunnelKiB.afterTraffic} KiB/tunnel, ` +
        `RTT p99 ${result.roundTrip.p99Ms} ms, gateway loop delay p99 ${round(window.eventLoopDelay.p99Ms, 2)} ms`,
    );
    if (openErrors + trafficErrors > 0) break;
  }

  for (const tunnel of tunnels) tunnel.stream.destroy();
  await sleep(1_000);
  return { baselineMemory: baseline, levels, afterCloseMemory: await settledMemory(gateway) };
}
