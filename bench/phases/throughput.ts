/**
 * Throughput of one tunnel, each direction: `bytes` of payload uploaded to the sink ('U', timed until its ack) and
 * downloaded from the source ('D', timed until the last byte), `runs` times each after a warm-up; the median run
 * counts. The relay's and the load generator's CPU time are recorded beside each figure.
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
  /** CPU meter of the relay process for this transport (none for direct). */
  readonly relayCpu?: () => CpuMeter;
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

async function direction(
  run: () => Promise<number>,
  bytes: number,
  options: ThroughputOptions,
): Promise<DirectionResult> {
  const rates: number[] = [];
  const relay = options.relayCpu?.();
  const self = selfCpuMeter();
  for (let i = 0; i < options.runs; i++) rates.push(bytes / 1e6 / (await run()));
  const gib = (bytes * options.runs) / GIB;
  return {
    mbPerSecond: round(median(rates), 1),
    runsMbPerSecond: rates.map((rate) => round(rate, 1)),
    relayCpuMsPerGiB: relay ? round((await relay()) / gib, 0) : null,
    loadGeneratorCpuMsPerGiB: round((await self()) / gib, 0),
  };
}

export async function measureThroughput(
  transport: Transport,
  context: TransportContext,
  options: ThroughputOptions,
): Promise<ThroughputRow> {
  const block = randomBytes(64 * 1024);
  const stream = await transport.open(context);
  const timeoutMs = context.timeoutMs;
  try {
    await upload(stream, block, options.warmupBytes, options, timeoutMs);
    await download(stream, options.warmupBytes, timeoutMs);
    const up =
      options.only === 'download'
        ? null
        : await direction(() => upload(stream, block, options.bytes, options, timeoutMs), options.bytes, options);
    const down =
      options.only === 'upload'
        ? null
        : await direction(() => download(stream, options.bytes, timeoutMs), options.bytes, options);
    return { transport: transport.id, label: transport.label, upload: up, download: down, tls: stream.tls };
  } finally {
    stream.destroy();
  }
}
