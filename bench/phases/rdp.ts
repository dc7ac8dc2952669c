/**
 * What a home user feels: an RDP-like load. `tunnels` tunnels each carry `downBytesPerSecond` from the target and
 * `upBytesPerSecond` to it in writes of 200–1,500 bytes, paced by elapsed time every 10 ms, while one more
 * (interactive) tunnel times a 64-byte echo every `probeIntervalMs`. The rows take turns round by round; per row the
 * relay's CPU % over the window, the throughput actually delivered and the interactive round trips.
 *
 * The interactive tunnel is the one figure that must be the relay's, so it shares a loop with nothing: it runs in a
 * child process (bench/rdp-probe.ts) against a target process of its own (the probe target), while the paced load
 * stays here, against the main target. The probe moves rather than the load because it is one stream and one
 * loop, where the load is ten streams, their counters and this process's CPU figure. Each process's own event-loop
 * delay over the window is reported beside the rows, to show neither harness loop set the round trips.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Command, rdpPacketBytes } from '../target-server.ts';
import type { ProbeContext, ProbeReply, ProbeRequest } from '../rdp-probe.ts';
import { ROOT, spawnChild, stopChild } from '../lib/children.ts';
import { selfCpuMeter, type CpuMeter } from '../lib/cpu.ts';
import type { GatewayProcess, ProbeSample } from '../lib/gateway.ts';
import { distribution, loopDelay, median, round, type Distribution, type LoopDelay } from '../lib/stats.ts';
import {
  commandHeader,
  type BenchStream,
  type NginxEndpoint,
  type NodeRelayEndpoint,
  type Transport,
  type TransportContext,
} from '../lib/transports.ts';

const PROBE_START_TIMEOUT_MS = 30_000;
const PROBE_PAYLOAD_BYTES = 64;

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
  /** Event-loop delay p99 (ms, the worst round) of the load generator (the paced load) and of the probe process. */
  readonly loadGeneratorEventLoopDelayP99Ms: number;
  readonly probeEventLoopDelayP99Ms: number;
  /** Homegate's row: the gateway's GCs over every round (the longest pause), its event-loop delay in the worst round. */
  readonly gatewayGc?: ProbeSample['gc'];
  readonly gatewayEventLoopDelay?: ProbeSample['eventLoopDelay'];
}

/** The probe target (a second target process) and what leads to it besides the gateway. */
export interface ProbeTarget {
  readonly port: number;
  /** nginx's server blocks and the bare Node relay's listener that relay to the probe target. */
  readonly nginx?: NginxEndpoint;
  readonly nodeRelay?: NodeRelayEndpoint;
  /** The gateway's data directory: the probe mints its tokens with its key. */
  readonly dataDir: string;
}

interface Window {
  relayMs: number | undefined;
  selfMs: number;
  seconds: number;
  down: number;
  up: number;
  samples: number[];
  ownDelayP99Ms: number;
  probeDelayP99Ms: number;
  /** Homegate's rows: what the gateway's probe saw over the window. */
  gateway: ProbeSample | undefined;
}

/** The probe child (bench/rdp-probe.ts): one request at a time, each answered once. */
export class ProbeProcess {
  readonly #child: ChildProcess;
  readonly #timeoutMs: number;

  private constructor(child: ChildProcess, timeoutMs: number) {
    this.#child = child;
    this.#timeoutMs = timeoutMs;
  }

  static async start(timeoutMs: number): Promise<ProbeProcess> {
    const child = spawnChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/rdp-probe.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const probe = new ProbeProcess(child, timeoutMs);
    try {
      await probe.#next(PROBE_START_TIMEOUT_MS);
    } catch (error) {
      await probe.stop();
      throw error;
    }
    return probe;
  }

  /** Opens the row's stream to the probe target in the child and switches it to echo. */
  async open(transportId: string, context: ProbeContext): Promise<void> {
    await this.#ask({ type: 'open', transport: transportId, context }, 2 * this.#timeoutMs);
  }

  /** Times the echo for `seconds` (the stream is closed after it); the samples and the probe's loop delay p99. */
  async run(seconds: number, intervalMs: number): Promise<{ samples: number[]; eventLoopDelayP99Ms: number }> {
    const reply = await this.#ask(
      { type: 'run', seconds, intervalMs, payloadBytes: PROBE_PAYLOAD_BYTES },
      seconds * 1000 + 2 * this.#timeoutMs,
    );
    if (reply.type !== 'done') throw new Error(`the RDP-like probe answered "${reply.type}" to run`);
    return reply;
  }

  stop(): Promise<void> {
    return stopChild(this.#child);
  }

  #ask(request: ProbeRequest, timeoutMs: number): Promise<ProbeReply> {
    const reply = this.#next(timeoutMs);
    this.#child.send(request);
    return reply;
  }

  #next(timeoutMs: number): Promise<ProbeReply> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, reply?: ProbeReply): void => {
        clearTimeout(timer);
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply as ProbeReply);
      };
      const onMessage = (reply: ProbeReply): void =>
        reply.type === 'error' ? finish(new Error(`the RDP-like probe: ${reply.message}`)) : finish(undefined, reply);
      const onExit = (code: number | null): void => finish(new Error(`the RDP-like probe exited (status ${code})`));
      const timer = setTimeout(
        () => finish(new Error(`the RDP-like probe did not answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
    });
  }
}

/** What the probe child needs to open `transport`'s stream to the probe target: plain data only. */
function probeContext(context: TransportContext, target: ProbeTarget): ProbeContext {
  const { gateway } = context;
  return {
    targetPort: target.port,
    timeoutMs: context.timeoutMs,
    dataDir: target.dataDir,
    ...(gateway ? { gateway: { port: gateway.port, relayPort: gateway.relayPort, caPem: gateway.caPem } } : {}),
    ...(target.nginx ? { nginx: target.nginx } : {}),
    ...(target.nodeRelay ? { nodeRelay: target.nodeRelay } : {}),
  };
}

async function oneWindow(
  transport: Transport,
  context: TransportContext,
  options: RdpOptions,
  relayCpu: (() => CpuMeter) | undefined,
  probe: { readonly process: ProbeProcess; readonly target: ProbeTarget },
  gateway: GatewayProcess | undefined,
): Promise<Window> {
  const block = randomBytes(2048);
  const streams: BenchStream[] = [];
  await probe.process.open(transport.id, probeContext(context, probe.target));
  let running = true;
  let down = 0;
  let up = 0;
  const readers: Promise<void>[] = [];
  const timers: NodeJS.Timeout[] = [];
  let ownDelay: LoopDelay | undefined;
  try {
    for (let i = 0; i < options.tunnels; i++) {
      const stream = await transport.open(context);
      streams.push(stream);
      stream.write(commandHeader(Command.PACED, options.downBytesPerSecond));
    }
    // The gateway's window (CPU, GCs, loop delay) comes from its probe; other relays' CPU from their meter.
    const gatewayReset = gateway?.reset();
    const relay = gateway ? undefined : relayCpu?.();
    const self = selfCpuMeter();
    ownDelay = loopDelay();
    const start = process.hrtime.bigint();
    for (const stream of streams) {
      readers.push(
        (async () => {
          while (running) {
            // Not `down += await …`: that reads `down` before the wait, and ten readers would undo each other's counts.
            const chunk = await stream.read(context.timeoutMs);
            down += chunk.length;
          }
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
    const { samples, eventLoopDelayP99Ms } = await probe.process.run(options.seconds, options.probeIntervalMs);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const ownDelayP99Ms = ownDelay.p99Ms();
    ownDelay.stop();
    await gatewayReset;
    const gatewayWindow = await gateway?.sample();
    return {
      relayMs: gatewayWindow
        ? (gatewayWindow.cpu.user + gatewayWindow.cpu.system) / 1000
        : relay
          ? await relay()
          : undefined,
      selfMs: await self(),
      seconds,
      down,
      up,
      samples,
      ownDelayP99Ms,
      probeDelayP99Ms: eventLoopDelayP99Ms,
      gateway: gatewayWindow,
    };
  } finally {
    ownDelay?.stop();
    running = false;
    for (const timer of timers) clearInterval(timer);
    for (const stream of streams) stream.destroy();
    await Promise.all(readers);
  }
}

export async function measureRdp(
  transports: readonly Transport[],
  context: TransportContext,
  options: RdpOptions,
  relayCpu: (transport: Transport) => (() => CpuMeter) | undefined,
  probeTarget: ProbeTarget,
  gateway?: GatewayProcess,
): Promise<RdpRow[]> {
  const windows = transports.map((): Window[] => []);
  const probe = { process: await ProbeProcess.start(context.timeoutMs), target: probeTarget };
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, transport] of transports.entries()) {
        windows[i].push(
          await oneWindow(
            transport,
            context,
            options,
            relayCpu(transport),
            probe,
            transport.homegate ? gateway : undefined,
          ),
        );
      }
    }
  } finally {
    await probe.process.stop();
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
      loadGeneratorEventLoopDelayP99Ms: round(Math.max(...w.map((x) => x.ownDelayP99Ms)), 2),
      probeEventLoopDelayP99Ms: round(Math.max(...w.map((x) => x.probeDelayP99Ms)), 2),
      ...gatewayWindows(w.flatMap((x) => (x.gateway ? [x.gateway] : []))),
    };
  });
}

/** The gateway's GCs summed over the rounds (the longest pause kept), and its loop delay in the worst round. */
function gatewayWindows(samples: readonly ProbeSample[]): Pick<RdpRow, 'gatewayGc' | 'gatewayEventLoopDelay'> {
  if (samples.length === 0) return {};
  const worst = samples.reduce((a, b) => (b.eventLoopDelay.p99Ms > a.eventLoopDelay.p99Ms ? b : a));
  return {
    gatewayGc: {
      count: samples.reduce((sum, x) => sum + x.gc.count, 0),
      totalMs: samples.reduce((sum, x) => sum + x.gc.totalMs, 0),
      maxMs: Math.max(...samples.map((x) => x.gc.maxMs)),
    },
    gatewayEventLoopDelay: worst.eventLoopDelay,
  };
}
