/**
 * What a home user feels: an RDP-like load. `tunnels` tunnels each carry `downBytesPerSecond` from the target and
 * `upBytesPerSecond` to it in writes of 200–1,500 bytes, paced by elapsed time every 10 ms, while one more
 * (interactive) tunnel times a 64-byte echo every `probeIntervalMs`. The rows take turns round by round; per row the
 * relay's CPU % over the window, the throughput actually delivered and the interactive round trips.
 */
import { randomBytes } from 'node:crypto';
import { Command, rdpPacketBytes } from '../target-server.ts';
import { selfCpuMeter, type CpuMeter } from '../lib/cpu.ts';
import { distribution, elapsedMs, median, round, sleep, type Distribution } from '../lib/stats.ts';
import {
  commandHeader,
  readExactly,
  startEcho,
  type BenchStream,
  type Transport,
  type TransportContext,
} from '../lib/transports.ts';

export interface RdpOptions {
  readonly tunnels: number;
  readonly downBytesPerSecond: number;
  readonly upBytesPerSecond: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly probeIntervalMs: number;
}

export interface RdpRow {
  readonly transport: string;
  readonly label: string;
  /** The relay's CPU time over the window's wall time, % of one core (median round). */
  readonly relayCpuPercent: number | null;
  readonly loadGeneratorCpuPercent: number;
  /** Payload delivered, all tunnels together, MB/s (median round). */
  readonly downMbPerSecond: number;
  readonly upMbPerSecond: number;
  /** The interactive tunnel's 64-byte round trips, every round pooled. */
  readonly roundTrip: Distribution;
}

interface Window {
  relayMs: number | undefined;
  selfMs: number;
  seconds: number;
  down: number;
  up: number;
  samples: number[];
}

async function oneWindow(
  transport: Transport,
  context: TransportContext,
  options: RdpOptions,
  relayCpu: (() => CpuMeter) | undefined,
): Promise<Window> {
  const block = randomBytes(2048);
  const streams: BenchStream[] = [];
  const probe = await transport.open(context);
  let running = true;
  let down = 0;
  let up = 0;
  const readers: Promise<void>[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    startEcho(probe);
    for (let i = 0; i < options.tunnels; i++) {
      const stream = await transport.open(context);
      streams.push(stream);
      stream.write(commandHeader(Command.PACED, options.downBytesPerSecond));
    }
    const relay = relayCpu?.();
    const self = selfCpuMeter();
    const start = process.hrtime.bigint();
    for (const stream of streams) {
      readers.push(
        (async () => {
          while (running) down += (await stream.read(context.timeoutMs)).length;
        })().catch(() => undefined),
      );
      let sent = 0;
      timers.push(
        setInterval(() => {
          const due = (Number(process.hrtime.bigint() - start) / 1e9) * options.upBytesPerSecond;
          while (sent < due) {
            const n = rdpPacketBytes();
            sent += n;
            up += n;
            stream.write(block.subarray(0, n));
          }
        }, 10),
      );
    }
    const samples: number[] = [];
    const payload = Buffer.alloc(64);
    const deadline = Date.now() + options.seconds * 1000;
    for (let i = 0; Date.now() < deadline; i++) {
      payload.writeUInt32BE(i, 0);
      const sent = process.hrtime.bigint();
      probe.write(payload);
      const echoed = await readExactly(probe, payload.length, context.timeoutMs);
      samples.push(elapsedMs(sent));
      if (!echoed.equals(payload))
        throw new Error(`${transport.label}: the interactive echo differs from what was sent`);
      await sleep(options.probeIntervalMs);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const result = { relayMs: relay ? await relay() : undefined, selfMs: await self(), seconds, down, up, samples };
    return result;
  } finally {
    running = false;
    for (const timer of timers) clearInterval(timer);
    for (const stream of streams) stream.destroy();
    probe.destroy();
    await Promise.all(readers);
  }
}

export async function measureRdp(
  transports: readonly Transport[],
  context: TransportContext,
  options: RdpOptions,
  relayCpu: (transport: Transport) => (() => CpuMeter) | undefined,
): Promise<RdpRow[]> {
  const windows = transports.map((): Window[] => []);
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, transport] of transports.entries()) {
      windows[i].push(await oneWindow(transport, context, options, relayCpu(transport)));
    }
  }
  return transports.map((transport, i) => {
    const w = windows[i];
    const relay = w.map((x) => (x.relayMs === undefined ? Number.NaN : x.relayMs / (10 * x.seconds)));
    return {
      transport: transport.id,
      label: transport.label,
      relayCpuPercent: relay.some(Number.isNaN) ? null : round(median(relay), 1),
      loadGeneratorCpuPercent: round(median(w.map((x) => x.selfMs / (10 * x.seconds))), 1),
      downMbPerSecond: round(median(w.map((x) => x.down / 1e6 / x.seconds)), 2),
      upMbPerSecond: round(median(w.map((x) => x.up / 1e6 / x.seconds)), 2),
      roundTrip: distribution(w.flatMap((x) => x.samples)),
    };
  });
}
