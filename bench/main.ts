/**
 * `npm run bench`: Homegate's data path against direct TCP, nginx's TLS stream relay and a bare Node TLS relay, on
 * loopback.
 *
 *   npm run bench                 full run (~10 minutes)
 *   npm run bench -- --quick      smaller samples (under two minutes)
 *   npm run bench -- --cpu-prof   also profile the gateway (V8 .cpuprofile) and print its top frames
 *   --only=throughput,latency,setup,concurrency,limits   --transports=direct,nginx,homegate-websocket   --out=FILE
 *   --direction=upload|download   (throughput of one direction only, to profile one path)
 *   --gateway-bundle=FILE         run another build of the CLI bundle as the gateway (before/after comparisons)
 *   --gateway-node-options='--max-semi-space-size=32'   extra Node/V8 options for the gateway process only
 *   --key-type=ecdsa-p256         the gateway's certificate key type (default Homegate's); the relays' are the same
 *
 * The gateway is `homegate serve` from the built bundle in its own process; the target (sink/source/echo), nginx
 * and the bare Node relay each have theirs; a second target (the probe target) answers the RDP-like phase's
 * interactive echo, which runs in a child of its own (bench/rdp-probe.ts); this process only generates load.
 * Results: a table on stdout and bench/results/latest.json.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { ROOT, armDeadline, killAllChildren, onInterrupt, startTarget, stopChild } from './lib/children.ts';
import { procCpuMeter, type CpuMeter } from './lib/cpu.ts';
import {
  CERTIFICATE_KEY_TYPES,
  DEFAULT_CERTIFICATE_KEY_TYPE,
  type CertificateKeyType,
} from '../main/certs/local-ca.ts';
import {
  GatewayProcess,
  PROBE_TARGET_HOST_NAME,
  TokenMinter,
  allowTarget,
  setKeyType,
  setLimits,
} from './lib/gateway.ts';
import { NginxRelay, findNginx, type NginxInfo } from './lib/nginx.ts';
import { NodeRelay } from './lib/node-relay.ts';
import { summariseProfile, type ProfileSummary } from './lib/profile.ts';
import { round } from './lib/stats.ts';
import { TRANSPORTS, type Transport, type TransportContext } from './lib/transports.ts';
import { measureConcurrency, type ConcurrencyResult } from './phases/concurrency.ts';
import { measureLatency, type LatencyRow } from './phases/latency.ts';
import { measureResourceLimits, printLimits, type LimitsOptions, type LimitsResult } from './phases/resource-limits.ts';
import { measureSetup, type SetupRow } from './phases/setup.ts';
import { measureFresh, measureThroughput, type FreshResult, type ThroughputRow } from './phases/throughput.ts';
import { measureIdle, type IdleLevel, type IdleOptions } from './phases/idle.ts';
import { measureRdp, type RdpOptions, type RdpRow } from './phases/rdp.ts';
import { buildReport, printReport } from './report.ts';

const MIB = 1024 * 1024;
/** Above this 1-minute load average other work on the machine skews the numbers. */
const QUIET_LOAD_AVERAGE = 0.5;
const PHASES = ['throughput', 'fresh', 'latency', 'rdp', 'setup', 'idle', 'concurrency', 'limits'] as const;
type Phase = (typeof PHASES)[number];

export interface BenchConfig {
  readonly mode: 'quick' | 'full';
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  /** One DATA packet (one WebSocket frame) per write, of each of `packetSizes` bytes: 16 KiB and FreeRDP's largest. */
  readonly throughput: { bytes: number; runs: number; packetSizes: number[]; warmupBytes: number };
  /** A just-started gateway's first `bytes`, `rounds` times (a new gateway each time). */
  readonly fresh: { bytes: number; rounds: number; chunkBytes: number };
  readonly rdp: RdpOptions;
  readonly idle: IdleOptions;
  readonly latency: { packetBytes: number; count: number; warmup: number };
  readonly setup: { count: number; warmup: number; concurrency: number };
  readonly concurrency: {
    levels: number[];
    openConcurrency: number;
    packetBytes: number;
    intervalMs: number;
    trafficMs: number;
  };
  readonly limits: LimitsOptions;
}

/** Ten RDP-like tunnels: 20 Mbit/s down, 2 Mbit/s up each, and a 64-byte interactive echo every 20 ms beside. */
const RDP_LIKE = { tunnels: 10, downBytesPerSecond: 2_500_000, upBytesPerSecond: 250_000, probeIntervalMs: 20 };

const QUICK: BenchConfig = {
  mode: 'quick',
  deadlineMs: 150_000,
  timeoutMs: 10_000,
  throughput: { bytes: 64 * MIB, runs: 3, packetSizes: [16 * 1024, 65_535], warmupBytes: 8 * MIB },
  fresh: { bytes: 128 * MIB, rounds: 1, chunkBytes: 65_535 },
  rdp: { ...RDP_LIKE, seconds: 4, rounds: 1 },
  idle: { seconds: 5, tunnels: 10, settleSeconds: 5 },
  latency: { packetBytes: 64, count: 2_000, warmup: 200 },
  setup: { count: 500, warmup: 100, concurrency: 16 },
  concurrency: {
    levels: [100, 1_000],
    openConcurrency: 16,
    packetBytes: 64,
    intervalMs: 1_000,
    trafficMs: 3_000,
  },
  limits: { connections: 1_024, dripMs: 3_000, parallelAddresses: 8, healthSamples: 10 },
};

const FULL: BenchConfig = {
  mode: 'full',
  deadlineMs: 20 * 60_000,
  timeoutMs: 15_000,
  throughput: { bytes: 256 * MIB, runs: 5, packetSizes: [16 * 1024, 65_535], warmupBytes: 32 * MIB },
  fresh: { bytes: 128 * MIB, rounds: 3, chunkBytes: 65_535 },
  rdp: { ...RDP_LIKE, seconds: 10, rounds: 3 },
  idle: { seconds: 60, tunnels: 10, settleSeconds: 30 },
  latency: { packetBytes: 64, count: 20_000, warmup: 2_000 },
  setup: { count: 3_000, warmup: 500, concurrency: 16 },
  concurrency: {
    levels: [1_000, 5_000],
    openConcurrency: 16,
    packetBytes: 64,
    intervalMs: 1_000,
    trafficMs: 15_000,
  },
  limits: { connections: 4_096, dripMs: 3_000, parallelAddresses: 8, healthSamples: 20 },
};

export interface BenchResults {
  readonly config: BenchConfig;
  readonly environment: Record<string, unknown>;
  readonly skipped: Record<string, string>;
  readonly throughput: ThroughputRow[];
  fresh: FreshResult | undefined;
  readonly rdp: RdpRow[];
  idle: IdleLevel[] | undefined;
  readonly latency: LatencyRow[];
  readonly setup: SetupRow[];
  concurrency: ConcurrencyResult | undefined;
  limits: LimitsResult | undefined;
  readonly profiles: ProfileSummary[];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The bare Node TLS relay in its own folder (its certificate), in front of the target and the probe target. */
async function startNodeRelay(
  work: string,
  targets: { readonly port: number; readonly probePort: number },
  keyType: CertificateKeyType,
): Promise<NodeRelay> {
  const dir = join(work, 'node-relay');
  await mkdir(dir, { recursive: true });
  return NodeRelay.start(dir, targets, keyType);
}

function tokenPool(tokens: string[]): () => string {
  let next = 0;
  return () => {
    const token = tokens[next++];
    if (token === undefined) throw new Error('the bench ran out of pre-minted tokens');
    return token;
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      only: { type: 'string' },
      transports: { type: 'string' },
      out: { type: 'string' },
      direction: { type: 'string' },
      'gateway-bundle': { type: 'string' },
      perf: { type: 'boolean' },
      'gateway-node-options': { type: 'string' },
      'key-type': { type: 'string' },
    },
  });
  const keyType = CERTIFICATE_KEY_TYPES.find((type) => type === (values['key-type'] ?? DEFAULT_CERTIFICATE_KEY_TYPE));
  if (!keyType) throw new Error(`--key-type takes one of ${CERTIFICATE_KEY_TYPES.join(', ')}`);
  const config = values.quick ? QUICK : FULL;
  armDeadline(config.deadlineMs);
  const phases = new Set<Phase>(
    values.only ? (values.only.split(',').filter((p) => (PHASES as readonly string[]).includes(p)) as Phase[]) : PHASES,
  );
  const wanted = values.transports?.split(',');
  const outFile = values.out ?? join(ROOT, 'bench/results/latest.json');
  const startedAt = Date.now();

  const work = await mkdtemp(join(tmpdir(), 'homegate-bench-'));
  onInterrupt(() => rmSync(work, { recursive: true, force: true }));
  const dataDir = join(work, 'data');
  const profileDir = join(ROOT, 'bench/results/profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  if (values['cpu-prof']) await mkdir(profileDir, { recursive: true });
  const gatewayLog = join(work, 'gateway.log');
  let keepWork = false;

  const skipped: Record<string, string> = {};
  const results: BenchResults = {
    config,
    environment: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      loadAverageBefore: loadavg().map((value) => round(value, 2)),
      startedAt: new Date(startedAt).toISOString(),
      gatewayBundle: values['gateway-bundle'] ?? 'out/cli/homegate.js',
      gatewayNodeOptions: values['gateway-node-options'] ?? '',
      certificateKeyType: keyType,
    },
    skipped,
    throughput: [],
    fresh: undefined,
    rdp: [],
    idle: undefined,
    latency: [],
    setup: [],
    concurrency: undefined,
    limits: undefined,
    profiles: [],
  };
  const load = loadavg().map((value) => value.toFixed(2));
  log(`bench: ${config.mode} run; load average ${load.join(' ')}; work dir ${work}`);
  if ((loadavg()[0] ?? 0) > QUIET_LOAD_AVERAGE) {
    log(`bench: warning: the machine is busy (1-minute load above ${QUIET_LOAD_AVERAGE}); expect noisy numbers`);
  }

  try {
    const target = await startTarget();
    allowTarget(dataDir, target.port);
    // The RDP-like phase's interactive echo has a target process of its own (no paced sender in its loop).
    const probeTarget = await startTarget();
    allowTarget(dataDir, probeTarget.port, PROBE_TARGET_HOST_NAME);
    // Before the first start, which makes the certificate: the gateway's and nginx's are of one key type.
    await setKeyType(dataDir, keyType);
    const nginxInfo: NginxInfo | string = findNginx();
    let nginx: NginxRelay | undefined;
    if (typeof nginxInfo === 'string') {
      skipped.nginx = nginxInfo;
      log(`bench: nginx skipped: ${nginxInfo}`);
    } else {
      const prefix = join(work, 'nginx');
      await mkdir(prefix, { recursive: true });
      nginx = await NginxRelay.start(nginxInfo, prefix, { port: target.port, probePort: probeTarget.port }, keyType);
      results.environment.nginx = nginxInfo.version;
    }
    const nodeRelay =
      !wanted || wanted.includes('node-tls')
        ? await startNodeRelay(work, { port: target.port, probePort: probeTarget.port }, keyType)
        : undefined;

    const startGateway = (): Promise<GatewayProcess> =>
      GatewayProcess.start({
        dataDir,
        logFile: gatewayLog,
        ...(values['cpu-prof'] ? { cpuProfileDir: profileDir } : {}),
        ...(values['gateway-bundle'] ? { bundle: resolve(values['gateway-bundle']) } : {}),
        nodeArgs: [
          ...(values.perf ? ['--perf-basic-prof'] : []),
          ...(values['gateway-node-options']?.split(' ').filter(Boolean) ?? []),
        ],
      });
    let gateway = await startGateway();
    if (values.perf) log(`bench: gateway pid ${gateway.pid} (perf record -g -p ${gateway.pid})`);
    const minter = await TokenMinter.open(dataDir);
    // Tokens are single-use (within a reconnection window): one per tunnel, minted before anything is timed.
    const perTransport =
      4 +
      config.throughput.packetSizes.length +
      (phases.has('rdp') ? config.rdp.tunnels * config.rdp.rounds : 0) +
      (phases.has('idle') ? config.idle.tunnels : 0) +
      (phases.has('setup') ? 2 * (config.setup.count + config.setup.warmup) : 0);
    const mintPools = async (paa: number, association: number): Promise<TransportContext['nextToken']> => {
      const pools = {
        paa: tokenPool(await minter.mint(paa)),
        association: tokenPool(await minter.mintAssociation(association, target.port)),
      };
      return (kind) => pools[kind]();
    };
    // One client TLS context per relay, built once from its CA, as a long-running client (or FreeRDP's process
    // per connection with the system store) would; building one per connection would load the load generator.
    const clientTls = new Map([['homegate-websocket', createSecureContext({ ca: gateway.caPem })]]);
    if (nginx) clientTls.set('nginx', createSecureContext({ ca: nginx.certPem }));
    if (nodeRelay) clientTls.set('node-tls', createSecureContext({ ca: nodeRelay.certPem }));
    let context: TransportContext = {
      targetPort: target.port,
      gateway,
      nginx,
      nodeRelay,
      timeoutMs: config.timeoutMs,
      nextToken: await mintPools(2 * perTransport, perTransport),
      clientTls,
    };

    const transports: Transport[] = [];
    for (const transport of TRANSPORTS) {
      if (wanted && !wanted.includes(transport.id)) continue;
      const reason = transport.unavailable(context);
      if (reason) {
        skipped[transport.id] = reason;
        log(`bench: ${transport.label} skipped: ${reason}`);
      } else transports.push(transport);
    }
    const relayCpu = (transport: Transport): (() => CpuMeter) | undefined => {
      if (transport.homegate) {
        return () => {
          const started = gateway.reset();
          return async () => {
            await started;
            const { cpu } = await gateway.sample();
            return (cpu.user + cpu.system) / 1000;
          };
        };
      }
      if ((transport.id === 'nginx' || transport.id === 'nginx-tcp') && nginx) {
        const relay = nginx;
        return () => procCpuMeter(relay.workerPids());
      }
      if (transport.id === 'node-tls' && nodeRelay) {
        const relay = nodeRelay;
        return () => relay.cpuMeter();
      }
      return undefined;
    };

    if (phases.has('throughput')) {
      for (const chunkBytes of config.throughput.packetSizes) {
        log(`bench: throughput, ${chunkBytes}-byte packets (the rows take turns, run by run)`);
        const rows = await measureThroughput(
          transports,
          context,
          {
            ...config.throughput,
            chunkBytes,
            ...(values.direction === 'upload' || values.direction === 'download' ? { only: values.direction } : {}),
          },
          relayCpu,
        );
        for (const row of rows) {
          results.throughput.push(row);
          log(
            `  ${row.label}: up ${row.upload?.mbPerSecond ?? '—'} MB/s, down ${row.download?.mbPerSecond ?? '—'} MB/s`,
          );
        }
      }
    }
    const homegate = transports.find((transport) => transport.id === 'homegate-websocket');
    const nginxRow = transports.find((transport) => transport.id === 'nginx');
    if (phases.has('fresh') && homegate && nginxRow) {
      log(`bench: a fresh gateway's first ${config.fresh.bytes / MIB} MiB against nginx's (a new gateway each round)`);
      results.fresh = await measureFresh(
        homegate,
        nginxRow,
        async () => {
          await gateway.stop();
          gateway = await startGateway();
          return { ...context, gateway, nextToken: await mintPools(1, 0) };
        },
        config.fresh,
        relayCpu,
      );
      context = { ...context, gateway, nextToken: await mintPools(2 * perTransport, perTransport) };
    }
    if (phases.has('latency')) {
      log('bench: latency');
      for (const transport of transports) {
        const row = await measureLatency(transport, context, {
          ...config.latency,
          relayCpu: relayCpu(transport),
          ...(transport.homegate ? { gateway } : {}),
        });
        results.latency.push(row);
        log(`  ${transport.label}: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
      }
    }
    if (phases.has('rdp')) {
      log('bench: RDP-like load (the rows take turns, round by round)');
      const rows = transports.filter((t) => ['direct', 'nginx', 'node-tls', 'homegate-websocket'].includes(t.id));
      const probe = {
        port: probeTarget.port,
        dataDir,
        ...(nginx ? { nginx: { ...nginx.probe, certPem: nginx.certPem } } : {}),
        ...(nodeRelay ? { nodeRelay: { port: nodeRelay.probePort, certPem: nodeRelay.certPem } } : {}),
      };
      results.rdp.push(...(await measureRdp(rows, context, config.rdp, relayCpu, probe, gateway)));
      for (const row of results.rdp) log(`  ${row.label}: relay CPU ${row.relayCpuPercent ?? '—'} %`);
    }
    if (phases.has('setup')) {
      log('bench: setup rate');
      for (const resumeTls of [false, true]) {
        for (const transport of transports) {
          if (resumeTls && !transport.resumable) continue;
          const row = await measureSetup(transport, context, {
            ...config.setup,
            relayCpu: relayCpu(transport),
            resumeTls,
          });
          results.setup.push(row);
          log(
            `  ${transport.label}${resumeTls ? ', TLS resumed' : ''}: ${row.tunnelsPerSecond}/s, ${row.errors} errors`,
          );
        }
      }
    }
    if (phases.has('idle') && homegate) {
      log(
        `bench: idle cost, ${config.idle.seconds} s with no tunnel and with ${config.idle.tunnels} idle tunnels, ` +
          `each after ${config.idle.settleSeconds} s of settling`,
      );
      results.idle = await measureIdle(homegate, context, gateway, config.idle);
    }
    if (phases.has('concurrency')) {
      // A fresh gateway, so the memory baseline is not inflated by the bulk transfers above; its connection cap
      // (4,096 by default) raised above the largest level, which measures memory, not the cap. The gateway watches
      // settings.json, so the raised cap stays in the file until the phase is over.
      await gateway.stop();
      const maxConnections = 2 * Math.max(...config.concurrency.levels);
      await setLimits(dataDir, { maxConnections });
      gateway = await startGateway();
      if (homegate) {
        log('bench: concurrency and memory');
        const maxLevel = Math.max(...config.concurrency.levels);
        context = { ...context, gateway, nextToken: await mintPools(maxLevel + 50, 0) };
        results.concurrency = await measureConcurrency(homegate, context, gateway, config.concurrency, log);
      }
      await setLimits(dataDir, undefined);
    }
    if (phases.has('limits')) {
      // A fresh gateway with the default limits, no tunnel of an earlier phase in its counts.
      await gateway.stop();
      gateway = await startGateway();
      log('bench: resource limits (attackers on 127.0.0.0/8 at every cap)');
      context = { ...context, gateway, nextToken: await mintPools(2, 2) };
      results.limits = await measureResourceLimits(context, gateway, config.limits, log);
    }
    await gateway.stop();
    if (nginx) await nginx.stop();
    if (nodeRelay) await nodeRelay.stop();
    await stopChild(target.child);
    await stopChild(probeTarget.child);

    if (values['cpu-prof']) {
      for (const file of (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile')).sort()) {
        results.profiles.push(await summariseProfile(join(profileDir, file)));
      }
    }
    results.environment.durationSeconds = round((Date.now() - startedAt) / 1000, 1);
    results.environment.loadAverageAfter = loadavg().map((value) => round(value, 2));
    const report = buildReport(results);
    await mkdir(join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(outFile, `${JSON.stringify({ ...report, limits: results.limits ?? null }, null, 2)}\n`);
    process.stdout.write(printReport(report));
    if (results.limits) process.stdout.write(printLimits(results.limits));
    process.stdout.write(`\nwritten: ${outFile}\n`);
  } catch (error) {
    keepWork = true;
    log(`bench: failed: ${(error as Error).stack ?? String(error)}`);
    try {
      const tail = (await readFile(gatewayLog, 'utf8')).split('\n').slice(-20).join('\n');
      log(`bench: last gateway log lines:\n${tail}`);
    } catch {
      // No log yet.
    }
    process.exitCode = 1;
  } finally {
    killAllChildren();
    if (!keepWork) await rm(work, { recursive: true, force: true });
    else log(`bench: work dir kept for inspection: ${work}`);
  }
}

await main();
// Every child is gone; nothing the load generator left behind (sockets in TIME_WAIT handling, timers) may hold
// the process open.
process.exit();
