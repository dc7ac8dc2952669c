/**
 * Throughput of one tunnel, each direction: `bytes` of payload uploaded to the sink ('U', timed until its ack) and
 * downloaded from the source ('D', timed until the last byte), `runs` times each after a warm-up, the rows taking
 * turns; the median run counts. The relay's and the load generator's CPU time are recorded beside each figure.
 */
import { randomBytes } from 'node:crypto';
import { Command } from '../target-server.ts';
import type { CpuMeter } from '../lib/cpu.ts';
import { median, round } from '../lib/stats.ts';
import {
  commandHeader,
  discard,
  readExactly,
  writeBulk,
  type BenchStream,
  type Transport,
  type TransportContext,
} from '../lib/transports.ts';
import { selfCpuMeter } from '../lib/cpu.ts';

export interface ThroughputOptions {
  readonly bytes: number;
  readonly runs: number;
  readonly chunkBytes: number;
  readonly warmupBytes: number;
  /** Measure only one direction (for profiling one path); both by default. */
  readonly only?: 'upload' | 'download';
}

export interface DirectionResult {
  readonly mbPerSecond: number;
  readonly runsMbPerSecond: readonly number[];
  /** CPU milliseconds the relay spent per GiB moved (all timed runs). */
  readonly relayCpuMsPerGiB: number | null;
  readonly loadGeneratorCpuMsPerGiB: number;
}

export interface ThroughputRow {
  readonly transport: string;
  readonly label: string;
  readonly upload: DirectionResult | null;
  readonly download: DirectionResult | null;
  readonly tls: BenchStream['tls'];
}

const GIB = 1024 ** 3;

async function upload(
  stream: BenchStream,
  block: Buffer,
  bytes: number,
  options: ThroughputOptions,
  timeoutMs: number,
) {
  const start = process.hrtime.bigint();
  stream.write(commandHeader(Command.UPLOAD, bytes));
  await writeBulk(stream, block, bytes, options.chunkBytes);
  await readExactly(stream, 1, timeoutMs);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function download(stream: BenchStream, bytes: number, timeoutMs: number) {
  const start = process.hrtime.bigint();
  stream.write(commandHeader(Command.DOWNLOAD, bytes));
  await discard(stream, bytes, timeoutMs);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One row's timed runs of one direction, gathered while the rows take turns. */
class DirectionRuns {
  readonly rates: number[] = [];
  relayCpuMs = 0;
  loadGeneratorCpuMs = 0;
  measuredRelay = false;

  result(bytes: number): DirectionResult {
    const gib = (bytes * this.rates.length) / GIB;
    return {
      mbPerSecond: round(median(this.rates), 1),
      runsMbPerSecond: this.rates.map((rate) => round(rate, 1)),
      relayCpuMsPerGiB: this.measuredRelay ? round(this.relayCpuMs / gib, 0) : null,
      loadGeneratorCpuMsPerGiB: round(this.loadGeneratorCpuMs / gib, 0),
    };
  }
}

/**
 * Every row's tunnel is opened and warmed up first; then the rows take turns, run by run — run 1 of each row, then
 * run 2 of each, … — so a change in the machine's load (other work, the scheduler, thermal state) falls on every
 * row alike instead of on whichever was measured at the time. The median run of each row counts.
 */
export async function measureThroughput(
  transports: readonly Transport[],
  context: TransportContext,
  options: ThroughputOptions,
  relayCpu: (transport: Transport) => (() => CpuMeter) | undefined,
): Promise<ThroughputRow[]> {
  const block = randomBytes(64 * 1024);
  const timeoutMs = context.timeoutMs;
  const streams: BenchStream[] = [];
  try {
    for (const transport of transports) {
      const stream = await transport.open(context);
      streams.push(stream);
      await upload(stream, block, options.warmupBytes, options, timeoutMs);
      await download(stream, options.warmupBytes, timeoutMs);
    }
    const directions = (['upload', 'download'] as const).filter(
      (d) => options.only === undefined || options.only === d,
    );
    const runs = new Map(directions.map((d) => [d, transports.map(() => new DirectionRuns())]));
    for (const d of directions) {
      for (let run = 0; run < options.runs; run++) {
        for (const [i, transport] of transports.entries()) {
          const stream = streams[i];
          const into = (runs.get(d) as DirectionRuns[])[i];
          const relay = relayCpu(transport)?.();
          const self = selfCpuMeter();
          const seconds =
            d === 'upload'
              ? await upload(stream, block, options.bytes, options, timeoutMs)
              : await download(stream, options.bytes, timeoutMs);
          into.rates.push(options.bytes / 1e6 / seconds);
          into.loadGeneratorCpuMs += await self();
          if (relay) {
            into.relayCpuMs += await relay();
            into.measuredRelay = true;
          }
        }
      }
    }
    return transports.map((transport, i) => ({
      transport: transport.id,
      label: transport.label,
      upload: runs.get('upload')?.[i].result(options.bytes) ?? null,
      download: runs.get('download')?.[i].result(options.bytes) ?? null,
      tls: streams[i].tls,
    }));
  } finally {
    for (const stream of streams) stream.destroy();
  }
}
