/** Small statistics helpers: nearest-rank percentiles over samples in milliseconds, and this process's loop lag. */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface Distribution {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function distribution(samplesMs: readonly number[]): Distribution {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50), 4),
    p99Ms: round(percentile(sorted, 99), 4),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN, 4),
    maxMs: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN, 4),
  };
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The loop-delay histogram's timer runs this often; what it records past that is lag. */
const LOOP_DELAY_RESOLUTION_MS = 5;

export interface LoopDelay {
  /** This process's event-loop lag p99 since the meter started, ms. */
  p99Ms(): number;
  stop(): void;
}

/** Measures this process's own event-loop lag from now (the harness's, to show it did not set a figure). */
export function loopDelay(): LoopDelay {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  histogram.enable();
  return {
    p99Ms: () => round(Math.max(0, histogram.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS), 2),
    stop: () => histogram.disable(),
  };
}
