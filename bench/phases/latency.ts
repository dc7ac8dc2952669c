/**
 * Round trips of small packets (RDP input is tens of bytes): one tunnel in echo mode, `count` back-to-back round
 * trips after a warm-up, each timed and checked byte for byte.
 */
import type { CpuMeter } from '../lib/cpu.ts';
import type { GatewayProcess, ProbeSample } from '../lib/gateway.ts';
import { distribution, elapsedMs, round, type Distribution } from '../lib/stats.ts';
import { readExactly, startEcho, type Transport, type TransportContext } from '../lib/transports.ts';

export interface LatencyOptions {
  readonly packetBytes: number;
  readonly count: number;
  readonly warmup: number;
  readonly relayCpu?: () => CpuMeter;
  /** For Homegate rows: the gateway, whose CPU, GC pauses and event-loop delay are read over the timed window. */
  readonly gateway?: GatewayProcess;
}

export interface LatencyRow extends Distribution {
  readonly transport: string;
  readonly label: string;
  /** CPU microseconds the relay spent per round trip (two packets through it). */
  readonly relayCpuUsPerRoundTrip: number | null;
  readonly gatewayGc?: ProbeSample['gc'];
  readonly gatewayEventLoopDelay?: ProbeSample['eventLoopDelay'];
}

export async function measureLatency(
  transport: Transport,
  context: TransportContext,
  options: LatencyOptions,
): Promise<LatencyRow> {
  const stream = await transport.open(context);
  try {
    startEcho(stream);
    const samples: number[] = [];
    const payload = Buffer.alloc(options.packetBytes);
    let relay: CpuMeter | undefined;
    for (let i = 0; i < options.warmup + options.count; i++) {
      if (i === options.warmup) {
        if (options.gateway) await options.gateway.reset();
        else relay = options.relayCpu?.();
      }
      payload.writeUInt32BE(i, 0);
      const start = process.hrtime.bigint();
      stream.write(payload);
      const echoed = await readExactly(stream, options.packetBytes, context.timeoutMs);
      const ms = elapsedMs(start);
      if (!echoed.equals(payload)) throw new Error(`round trip ${i}: the echo differs from what was sent`);
      if (i >= options.warmup) samples.push(ms);
    }
    const window = options.gateway ? await options.gateway.sample() : undefined;
    const relayMs = window ? (window.cpu.user + window.cpu.system) / 1000 : relay ? await relay() : undefined;
    return {
      transport: transport.id,
      label: transport.label,
      ...distribution(samples),
      relayCpuUsPerRoundTrip: relayMs === undefined ? null : round((relayMs * 1000) / options.count, 1),
      ...(window ? { gatewayGc: window.gc, gatewayEventLoopDelay: window.eventLoopDelay } : {}),
    };
  } finally {
    stream.destroy();
  }
}
