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
  /** The load generator's busiest run: its CPU time over the run's wall time, in % of one core. */
  readonly loadGeneratorCorePercentMax: number;
  /** True when that reached LOAD_GENERATOR_LIMIT_PERCENT: the client, not the relay, may have set the figure. */
  readonly loadGeneratorBound: boolean;
  /** Homegate rows: this row's MB/s ÷ its baseline's in the same round, each round, and their median. */
  readonly vsBaseline: { readonly median: number; readonly runs: readonly number[] } | null;
}

export interface ThroughputRow {
  readonly transport: string;
  readonly label: string;
  /** Payload bytes per write: one DATA packet (one WebSocket frame) each on the MS-TSGU rows. */
  readonly packetBytes: number;
  readonly upload: DirectionResult | null;
  readonly download: DirectionResult | null;
  readonly tls: BenchStream['tls'];
}

const GIB = 1024 ** 3;
/** A load generator busier than this (% of one core) may be what limits a run. */
export const LOAD_GENERATOR_LIMIT_PERCENT = 90;

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
  loadGeneratorCorePercentMax = 0;
  measuredRelay = false;

  add(bytes: number, seconds: number, loadGeneratorMs: number, relayMs: number | undefined): void {
    this.rates.push(bytes / 1e6 / seconds);
    this.loadGeneratorCpuMs += loadGeneratorMs;
    this.loadGeneratorCorePercentMax = Math.max(this.loadGeneratorCorePercentMax, loadGeneratorMs / (10 * seconds));
    if (relayMs !== undefined) {
      this.relayCpuMs += relayMs;
      this.measuredRelay = true;
    }
  }

  result(bytes: number, baseline?: DirectionRuns): DirectionResult {
    const gib = (bytes * this.rates.length) / GIB;
    const perRound = baseline ? this.rates.map((rate, i) => rate / (baseline.rates[i] ?? Number.NaN)) : undefined;
    return {
      mbPerSecond: round(median(this.rates), 1),
      runsMbPerSecond: this.rates.map((rate) => round(rate, 1)),
      relayCpuMsPerGiB: this.measuredRelay ? round(this.relayCpuMs / gib, 0) : null,
      loadGeneratorCpuMsPerGiB: round(this.loadGeneratorCpuMs / gib, 0),
      loadGeneratorCorePercentMax: round(this.loadGeneratorCorePercentMax, 0),
      loadGeneratorBound: this.loadGeneratorCorePercentMax >= LOAD_GENERATOR_LIMIT_PERCENT,
      vsBaseline: perRound ? { median: round(median(perRound), 3), runs: perRound.map((r) => round(r, 3)) } : null,
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
          into.add(options.bytes, seconds, await self(), relay ? await relay() : undefined);
        }
      }
    }
    const baselineOf = (transport: Transport) => transports.findIndex((t) => t.id === transport.baseline);
    const result = (d: 'upload' | 'download', i: number, transport: Transport) => {
      const rows = runs.get(d);
      if (!rows) return null;
      const base = baselineOf(transport);
      return rows[i].result(options.bytes, transport.homegate && base >= 0 ? rows[base] : undefined);
    };
    return transports.map((transport, i) => ({
      transport: transport.id,
      label: transport.label,
      packetBytes: Math.min(options.chunkBytes, block.length),
      upload: result('upload', i, transport),
      download: result('download', i, transport),
      tls: streams[i].tls,
    }));
  } finally {
    for (const stream of streams) stream.destroy();
  }
}

export interface FreshResult {
  readonly bytes: number;
  readonly packetBytes: number;
  readonly rounds: number;
  /** Per direction: the fresh gateway's MB/s and nginx's (a fresh connection) each round, and the per-round ratios. */
  readonly upload: FreshDirection;
  readonly download: FreshDirection;
}

export interface FreshDirection {
  readonly homegateMbPerSecond: readonly number[];
  readonly nginxMbPerSecond: readonly number[];
  readonly homegateCpuMsPerGiB: number;
  readonly nginxCpuMsPerGiB: number;
  readonly ratio: { readonly median: number; readonly runs: readonly number[] };
  readonly loadGeneratorCorePercentMax: number;
}

/**
 * The first `bytes` through a gateway that has just started (its JIT and heap cold), against nginx's first bytes on
 * a fresh connection, round by round and direction by direction, each time with a new gateway from `freshGateway`.
 */
export async function measureFresh(
  homegate: Transport,
  nginx: Transport,
  freshGateway: () => Promise<TransportContext>,
  options: { bytes: number; rounds: number; chunkBytes: number },
  relayCpu: (transport: Transport) => (() => CpuMeter) | undefined,
): Promise<FreshResult> {
  const block = randomBytes(64 * 1024);
  const runOnce = async (transport: Transport, context: TransportContext, d: 'upload' | 'download') => {
    const stream = await transport.open(context);
    try {
      const relay = relayCpu(transport)?.();
      const self = selfCpuMeter();
      const seconds =
        d === 'upload'
          ? await upload(stream, block, options.bytes, { ...options, runs: 1, warmupBytes: 0 }, context.timeoutMs)
          : await download(stream, options.bytes, context.timeoutMs);
      return { seconds, self: await self(), relay: relay ? await relay() : 0 };
    } finally {
      stream.destroy();
    }
  };
  const direction = async (d: 'upload' | 'download'): Promise<FreshDirection> => {
    const ours = new DirectionRuns();
    const theirs = new DirectionRuns();
    for (let round = 0; round < options.rounds; round++) {
      const context = await freshGateway();
      const a = await runOnce(homegate, context, d);
      ours.add(options.bytes, a.seconds, a.self, a.relay);
      const b = await runOnce(nginx, context, d);
      theirs.add(options.bytes, b.seconds, b.self, b.relay);
    }
    const o = ours.result(options.bytes, theirs);
    const n = theirs.result(options.bytes);
    return {
      homegateMbPerSecond: o.runsMbPerSecond,
      nginxMbPerSecond: n.runsMbPerSecond,
      homegateCpuMsPerGiB: o.relayCpuMsPerGiB ?? 0,
      nginxCpuMsPerGiB: n.relayCpuMsPerGiB ?? 0,
      ratio: o.vsBaseline ?? { median: 0, runs: [] },
      loadGeneratorCorePercentMax: Math.max(o.loadGeneratorCorePercentMax, n.loadGeneratorCorePercentMax),
    };
  };
  return {
    bytes: options.bytes,
    packetBytes: Math.min(options.chunkBytes, block.length),
    rounds: options.rounds,
    upload: await direction('upload'),
    download: await direction('download'),
  };
}
