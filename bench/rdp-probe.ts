/**
 * The RDP-like phase's interactive tunnel, in a process of its own: the load generator's loop runs ten readers and
 * ten paced writers, and a 64-byte echo timed on that loop measured the harness (5 ms of p99 over direct TCP on
 * loopback, against 0.2–0.4 ms in the latency phase). Here nothing else runs. The stream is opened here, through
 * the same transport code (a TLS socket cannot be handed to a child), with tokens minted here from the data
 * directory's key as the bench mints its own. Driven over IPC by bench/phases/rdp.ts, one request at a time:
 *
 *   { type: 'open', transport, context }   open the row's stream to the probe target, switch it to echo
 *   { type: 'run', seconds, intervalMs, payloadBytes }   time an echo every intervalMs for seconds, then close it
 *
 * Each is answered by { type: 'opened' }, { type: 'done', samples, eventLoopDelayP99Ms } or { type: 'error',
 * message }. Exits when the bench disconnects.
 */
import { PROBE_TARGET_HOST_NAME, TokenMinter } from './lib/gateway.ts';
import { elapsedMs, loopDelay, sleep } from './lib/stats.ts';
import {
  TRANSPORTS,
  readExactly,
  startEcho,
  type BenchStream,
  type GatewayEndpoint,
  type NginxEndpoint,
  type NodeRelayEndpoint,
  type TokenKind,
  type TransportContext,
} from './lib/transports.ts';

/** What the bench sends to open a stream: plain data (no process handles cross the channel). */
export interface ProbeContext {
  readonly targetPort: number;
  readonly gateway?: GatewayEndpoint;
  readonly nginx?: NginxEndpoint;
  readonly nodeRelay?: NodeRelayEndpoint;
  readonly timeoutMs: number;
  /** The gateway's data directory, for its signing key (Homegate rows: tokens are single-use, minted per open). */
  readonly dataDir: string;
}

export type ProbeRequest =
  | { readonly type: 'open'; readonly transport: string; readonly context: ProbeContext }
  | { readonly type: 'run'; readonly seconds: number; readonly intervalMs: number; readonly payloadBytes: number };

export type ProbeReply =
  | { readonly type: 'ready' }
  | { readonly type: 'opened' }
  | { readonly type: 'done'; readonly samples: number[]; readonly eventLoopDelayP99Ms: number }
  | { readonly type: 'error'; readonly message: string };

let minter: TokenMinter | undefined;
let open: { stream: BenchStream; label: string; timeoutMs: number } | undefined;

/** A PAA and an ASSOCIATION token for the probe target (a carrier uses one of them). */
async function mintOneOfEach(data: ProbeContext): Promise<Record<TokenKind, string>> {
  minter ??= await TokenMinter.open(data.dataDir);
  return {
    paa: (await minter.mint(1, [PROBE_TARGET_HOST_NAME]))[0],
    association: (await minter.mintAssociation(1, data.targetPort, PROBE_TARGET_HOST_NAME))[0],
  };
}

async function openProbe(id: string, data: ProbeContext): Promise<void> {
  const transport = TRANSPORTS.find((candidate) => candidate.id === id);
  if (!transport) throw new Error(`no transport "${id}"`);
  const tokens = transport.homegate ? await mintOneOfEach(data) : undefined;
  const context: TransportContext = {
    ...data,
    targetName: PROBE_TARGET_HOST_NAME,
    nextToken: (kind) => {
      if (!tokens) throw new Error(`${transport.label} asked for a token`);
      return tokens[kind];
    },
    // Without a prebuilt context each TLS row builds one from its CA: opening is not timed.
    clientTls: new Map(),
  };
  const stream = await transport.open(context);
  startEcho(stream);
  open = { stream, label: transport.label, timeoutMs: data.timeoutMs };
}

async function runProbe(seconds: number, intervalMs: number, payloadBytes: number): Promise<ProbeReply> {
  if (!open) throw new Error('run before open');
  const { stream, label, timeoutMs } = open;
  const delay = loopDelay();
  try {
    const samples: number[] = [];
    const payload = Buffer.alloc(payloadBytes);
    const deadline = Date.now() + seconds * 1000;
    for (let i = 0; Date.now() < deadline; i++) {
      payload.writeUInt32BE(i, 0);
      const sent = process.hrtime.bigint();
      stream.write(payload);
      const echoed = await readExactly(stream, payload.length, timeoutMs);
      samples.push(elapsedMs(sent));
      if (!echoed.equals(payload)) throw new Error(`${label}: the interactive echo differs from what was sent`);
      await sleep(intervalMs);
    }
    return { type: 'done', samples, eventLoopDelayP99Ms: delay.p99Ms() };
  } finally {
    delay.stop();
    stream.destroy();
    open = undefined;
  }
}

async function handle(request: ProbeRequest): Promise<ProbeReply> {
  if (request.type === 'open') {
    await openProbe(request.transport, request.context);
    return { type: 'opened' };
  }
  return runProbe(request.seconds, request.intervalMs, request.payloadBytes);
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('rdp-probe runs as a child of the bench (it needs an IPC channel)');
  process.on('message', (request: ProbeRequest) => {
    handle(request).then(
      (reply) => send(reply),
      (error: unknown) => {
        open?.stream.destroy();
        open = undefined;
        send({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies ProbeReply);
      },
    );
  });
  // The bench went away (ended or crashed): so does the probe.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' } satisfies ProbeReply);
}

if (process.argv[1]?.endsWith('rdp-probe.ts')) main();
