/**
 * Setup rate: `count` tunnels opened by `concurrency` workers, each timed from the TCP connect to the open channel
 * (TLS handshake, upgrade, MS-TSGU handshake, tunnel create with token check, tunnel auth, channel create with the
 * dial to the target), then dropped. Tunnels per second is count / wall time. `warmup` tunnels are opened the same
 * way first and not counted: the relay's setup path (TLS socket, HTTP, session code) is compiled by then, so the
 * figures are its steady state, as the throughput rows' are after their warm-up.
 *
 * Each worker connects from its own loopback address (127.0.1.1, 127.0.1.2, …): the workers stand for that many
 * clients. From one address they would meet the gateway's per-address caps on connections that have not proven
 * anything yet (16 pending HTTPS connections, 8 pending relay connections, 8 half-open legacy pairs by default),
 * which are right for the internet and are not what this phase measures.
 */
import { selfCpuMeter, type CpuMeter } from '../lib/cpu.ts';
import { distribution, elapsedMs, round, type Distribution } from '../lib/stats.ts';
import type { Transport, TransportContext } from '../lib/transports.ts';

export interface SetupOptions {
  readonly count: number;
  /** Tunnels opened and dropped before the measured ones (errors among them are counted). */
  readonly warmup: number;
  readonly concurrency: number;
  readonly relayCpu?: () => CpuMeter;
  /** Offer the previous connection's TLS session (a returning client): resumption skips the certificate. */
  readonly resumeTls?: boolean;
}

export interface SetupRow {
  readonly transport: string;
  readonly label: string;
  readonly tlsResumption: boolean;
  /** How many handshakes were resumptions (reported by the client's TLS socket). */
  readonly resumed: number;
  readonly tunnels: number;
  readonly concurrency: number;
  readonly tunnelsPerSecond: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly setupTime: Distribution;
  readonly relayCpuMsPerTunnel: number | null;
  readonly loadGeneratorCpuMsPerTunnel: number;
}

/** The `index`th worker's source address, in 127.0.1.0/24 (away from 127.0.0.1, which the other phases use). */
function clientAddress(index: number): string {
  return `127.0.1.${(index % 254) + 1}`;
}

export async function measureSetup(
  transport: Transport,
  context: TransportContext,
  options: SetupOptions,
): Promise<SetupRow> {
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let resumed = 0;
  const sessions = options.resumeTls ? new Map<string, Buffer>() : undefined;
  const run: TransportContext = sessions ? { ...context, tlsSessions: sessions } : context;
  const openAll = async (count: number, timed: boolean): Promise<void> => {
    let next = 0;
    const worker = async (index: number): Promise<void> => {
      const client: TransportContext = { ...run, localAddress: clientAddress(index) };
      while (next < count) {
        next++;
        const begun = process.hrtime.bigint();
        try {
          const stream = await transport.open(client);
          if (timed) {
            times.push(elapsedMs(begun));
            if (stream.tls?.resumed) resumed++;
          }
          stream.destroy();
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  };
  await openAll(options.warmup, false);
  const relay = options.relayCpu?.();
  const self = selfCpuMeter();
  const start = process.hrtime.bigint();
  await openAll(options.count, true);
  const wallMs = elapsedMs(start);
  return {
    transport: transport.id,
    label: transport.label,
    tlsResumption: options.resumeTls ?? false,
    resumed,
    tunnels: options.count,
    concurrency: options.concurrency,
    tunnelsPerSecond: round((times.length / wallMs) * 1000, 0),
    errors,
    firstError,
    setupTime: distribution(times),
    relayCpuMsPerTunnel: relay ? round((await relay()) / options.count, 3) : null,
    loadGeneratorCpuMsPerTunnel: round((await self()) / options.count, 3),
  };
}
