/**
 * The idle cost: the gateway's CPU time and wake-ups (context switches of all its threads, voluntary and not) over
 * `seconds` with no tunnel, then with `tunnels` idle tunnels open, read from /proc with the probe's own timer
 * stopped. A tray app must not keep a laptop awake.
 *
 * Each window starts `settleSeconds` after the work before it (the gateway's start or the phases before, then
 * opening the tunnels): once the mutator goes quiet after allocating, V8's memory reducer checks every 8 s and runs
 * a few incremental GCs to shrink the heap, which is a one-off cost of that work, not of being idle.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { GatewayProcess } from '../lib/gateway.ts';
import { round, sleep } from '../lib/stats.ts';
import type { BenchStream, Transport, TransportContext } from '../lib/transports.ts';

export interface IdleOptions {
  readonly seconds: number;
  readonly tunnels: number;
  readonly settleSeconds: number;
}

export interface IdleLevel {
  readonly tunnels: number;
  readonly seconds: number;
  readonly settleSeconds: number;
  readonly cpuSecondsPerHour: number;
  readonly wakeupsPerSecond: number;
  readonly threads: number;
}

/** Context switches of every thread of `pid` (a thread that blocks and is woken again counts one). */
function contextSwitches(pid: number): { switches: number; threads: number } {
  let switches = 0;
  let threads = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      const voluntary = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1];
      const involuntary = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1];
      switches += Number(voluntary ?? 0) + Number(involuntary ?? 0);
      threads++;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { switches, threads };
}

async function window(gateway: GatewayProcess, tunnels: number, options: IdleOptions): Promise<IdleLevel> {
  const { seconds } = options;
  await gateway.quiet();
  await sleep(1000 + options.settleSeconds * 1000);
  // CPU from the probe (microseconds; /proc counts in 10 ms ticks, too coarse here): one IPC message each end.
  const cpu0 = (await gateway.sample()).cpu;
  const ctx0 = contextSwitches(gateway.pid);
  const start = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const ctx1 = contextSwitches(gateway.pid);
  const cpu1 = (await gateway.sample()).cpu;
  const cpuMs = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000;
  await gateway.reset();
  return {
    tunnels,
    seconds: round(wall, 1),
    settleSeconds: options.settleSeconds,
    cpuSecondsPerHour: round(((cpuMs / 1000) * 3600) / wall, 2),
    wakeupsPerSecond: round((ctx1.switches - ctx0.switches) / wall, 1),
    threads: ctx1.threads,
  };
}

export async function measureIdle(
  transport: Transport,
  context: TransportContext,
  gateway: GatewayProcess,
  options: IdleOptions,
): Promise<IdleLevel[]> {
  const levels = [await window(gateway, 0, options)];
  const streams: BenchStream[] = [];
  try {
    for (let i = 0; i < options.tunnels; i++) streams.push(await transport.open(context));
    levels.push(await window(gateway, options.tunnels, options));
  } finally {
    for (const stream of streams) stream.destroy();
  }
  return levels;
}
