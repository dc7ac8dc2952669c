/** Turns the raw figures into the headline numbers (with their targets) and the printed table. */
import type { BenchResults } from './main.ts';
import { median, round } from './lib/stats.ts';
import type { DirectionResult } from './phases/throughput.ts';
import { TRANSPORTS } from './lib/transports.ts';
import type { ProbeSample } from './lib/gateway.ts';

const HOMEGATE_ROW = 'homegate-websocket';
/** The least a Node relay does (`bench/node-relay.ts`): what of Homegate's cost is Node's TLS and streams. */
const BARE_NODE_ROW = 'node-tls';

export const TARGETS = {
  throughputRatioVsNginx: 1,
  freshRatioVsNginx: 0.8,
  cpuPerGiBVsNginx: 1,
  latencyP99AddedMs: 1,
  memoryPerIdleTunnelKiB: 64,
  concurrentTunnels: 5000,
  tunnelsPerSecond: 500,
  setupCpuMsPerTunnel: 1.5,
  rdpCpuVsNginx: 1.5,
  rdpP99AddedMs: 1,
  idleCpuSecondsPerHour: 1,
} as const;

const SMALL_PACKET = 16 * 1024;

const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : round(a / b, 3);
/** The median of the per-round ratios of two rows that took turns (their runs pair up round by round). */
const perRoundRatio = (ours: DirectionResult | null | undefined, theirs: DirectionResult | null | undefined) => {
  const a = ours?.runsMbPerSecond;
  const b = theirs?.runsMbPerSecond;
  if (!a?.length || a.length !== b?.length) return null;
  return round(median(a.map((rate, i) => rate / b[i])), 3);
};
const minOf = (...values: (number | null)[]): number | null => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === values.length && known.length > 0 ? Math.min(...known) : null;
};

export function buildReport(results: BenchResults) {
  const byId = <T extends { transport: string }>(rows: readonly T[], id: string): T | undefined =>
    rows.find((row) => row.transport === id);

  const tp = (id: string, size = SMALL_PACKET) =>
    results.throughput.find((row) => row.transport === id && row.packetBytes === size);
  const sizes = [...new Set(results.throughput.map((row) => row.packetBytes))];
  // Per packet size: the median of the per-round ratios against nginx, and CPU per GiB against nginx's; the same
  // against the bare Node relay beside them.
  const bySize = sizes.map((size) => {
    const ours = tp(HOMEGATE_ROW, size);
    const theirs = tp('nginx', size);
    const node = tp(BARE_NODE_ROW, size);
    const cpu = (d: 'upload' | 'download', base = theirs) =>
      ratio(ours?.[d]?.relayCpuMsPerGiB ?? undefined, base?.[d]?.relayCpuMsPerGiB ?? undefined);
    return {
      packet_bytes: size,
      ratio_vs_nginx: {
        upload: ours?.upload?.vsBaseline?.median ?? null,
        download: ours?.download?.vsBaseline?.median ?? null,
      },
      cpu_per_gib_vs_nginx: { upload: cpu('upload'), download: cpu('download') },
      ratio_vs_bare_node: {
        upload: perRoundRatio(ours?.upload, node?.upload),
        download: perRoundRatio(ours?.download, node?.download),
      },
      cpu_per_gib_vs_bare_node: { upload: cpu('upload', node), download: cpu('download', node) },
    };
  });
  const warmRatio = minOf(...bySize.flatMap((s) => [s.ratio_vs_nginx.upload, s.ratio_vs_nginx.download]));
  const cpuRatios = bySize.flatMap((s) => [s.cpu_per_gib_vs_nginx.upload, s.cpu_per_gib_vs_nginx.download]);
  const cpuVsNginx = cpuRatios.length && cpuRatios.every((r) => r !== null) ? Math.max(...cpuRatios) : null;
  const loadGeneratorBound = results.throughput
    .flatMap((row) =>
      [row.upload, row.download].map((d) => (d?.loadGeneratorBound ? `${row.label} ${row.packetBytes}` : '')),
    )
    .filter(Boolean);

  const fresh = results.fresh;
  const freshRatio = fresh ? Math.min(fresh.upload.ratio.median, fresh.download.ratio.median) : null;

  const rdpRow = (id: string) => results.rdp.find((row) => row.transport === id);
  const rdpOurs = rdpRow(HOMEGATE_ROW);
  const rdpDirect = rdpRow('direct');
  const rdpNginx = rdpRow('nginx');
  const rdpCpuVs = (id: string) =>
    ratio(rdpOurs?.relayCpuPercent ?? undefined, rdpRow(id)?.relayCpuPercent ?? undefined);
  const rdp = {
    gateway_cpu_percent: rdpOurs?.relayCpuPercent ?? null,
    nginx_cpu_percent: rdpRow('nginx')?.relayCpuPercent ?? null,
    cpu_vs_nginx: rdpCpuVs('nginx'),
    bare_node_cpu_percent: rdpRow(BARE_NODE_ROW)?.relayCpuPercent ?? null,
    cpu_vs_bare_node: rdpCpuVs(BARE_NODE_ROW),
    p50_added_ms: rdpOurs && rdpDirect ? round(rdpOurs.roundTrip.p50Ms - rdpDirect.roundTrip.p50Ms, 4) : null,
    p99_added_ms: rdpOurs && rdpDirect ? round(rdpOurs.roundTrip.p99Ms - rdpDirect.roundTrip.p99Ms, 4) : null,
    p99_added_vs_nginx_ms: rdpOurs && rdpNginx ? round(rdpOurs.roundTrip.p99Ms - rdpNginx.roundTrip.p99Ms, 4) : null,
    rows: results.rdp,
  };
  const idleWith = results.idle?.[results.idle.length - 1];
  const up = (id: string) => tp(id)?.upload?.mbPerSecond;
  const down = (id: string) => tp(id)?.download?.mbPerSecond;
  const vsNginx = { upload: ratio(up(HOMEGATE_ROW), up('nginx')), download: ratio(down(HOMEGATE_ROW), down('nginx')) };
  const vsDirect = {
    upload: ratio(up(HOMEGATE_ROW), up('direct')),
    download: ratio(down(HOMEGATE_ROW), down('direct')),
  };

  const lat = (id: string) => byId(results.latency, id);
  const added = (id: string, key: 'p50Ms' | 'p99Ms') => {
    const ours = lat(HOMEGATE_ROW)?.[key];
    const base = lat(id)?.[key];
    return ours === undefined || base === undefined ? null : round(ours - base, 4);
  };

  const addedOver = (id: string, base: string, key: 'p50Ms' | 'p99Ms') => {
    const ours = lat(id)?.[key];
    const theirs = lat(base)?.[key];
    return ours === undefined || theirs === undefined ? null : round(ours - theirs, 4);
  };
  // Every Homegate carrier against the row doing the same work (TLS termination or not) and against direct TCP.
  const carriers = Object.fromEntries(
    TRANSPORTS.filter((t) => t.homegate && t.baseline !== undefined && (tp(t.id) || lat(t.id))).map((t) => {
      const base = t.baseline as string;
      const setup = results.setup.find((row) => row.transport === t.id && !row.tlsResumption);
      return [
        t.id,
        {
          baseline: base,
          throughput_ratio_vs_baseline: { upload: ratio(up(t.id), up(base)), download: ratio(down(t.id), down(base)) },
          throughput_ratio_vs_direct: {
            upload: ratio(up(t.id), up('direct')),
            download: ratio(down(t.id), down('direct')),
          },
          latency_p99_added_vs_direct_ms: addedOver(t.id, 'direct', 'p99Ms'),
          latency_p99_added_vs_baseline_ms: addedOver(t.id, base, 'p99Ms'),
          latency_p50_added_vs_direct_ms: addedOver(t.id, 'direct', 'p50Ms'),
          setup_tunnels_per_second: setup?.tunnelsPerSecond ?? null,
        },
      ];
    }),
  );

  const handshakeCpu = (id: string) =>
    results.setup.find((row) => row.transport === id && !row.tlsResumption)?.relayCpuMsPerTunnel ?? null;
  const setupRow = results.setup.find((row) => row.transport === HOMEGATE_ROW && !row.tlsResumption);
  const resumedRow = results.setup.find((row) => row.transport === HOMEGATE_ROW && row.tlsResumption);
  const concurrency = results.concurrency;
  const clean = [];
  for (const level of concurrency?.levels ?? []) {
    if (level.openErrors + level.trafficErrors > 0) break;
    clean.push(level);
  }
  const largestClean = clean[clean.length - 1];
  const largest = concurrency?.levels[concurrency.levels.length - 1];
  const memoryLevel = largestClean ?? largest;
  const perIdle = memoryLevel ? Math.max(memoryLevel.perTunnelKiB.idle, memoryLevel.perTunnelKiB.afterTraffic) : null;

  const headline = {
    throughput: {
      ratio_vs_nginx: minOf(vsNginx.upload, vsNginx.download),
      warm_ratio_vs_nginx_per_round_median: warmRatio,
      by_packet_size: bySize,
      cpu_per_gib_vs_nginx_max: cpuVsNginx,
      load_generator_bound: loadGeneratorBound,
      ratio_vs_direct: minOf(vsDirect.upload, vsDirect.download),
      ratio_vs_nginx_by_direction: vsNginx,
      ratio_vs_direct_by_direction: vsDirect,
      unit: 'MB/s (10^6 bytes per second), median run',
      rows: results.throughput,
    },
    latency: {
      p99_added_ms: added('direct', 'p99Ms'),
      p50_added_ms: added('direct', 'p50Ms'),
      p99_added_vs_nginx_ms: added('nginx', 'p99Ms'),
      p99_added_vs_bare_node_ms: added(BARE_NODE_ROW, 'p99Ms'),
      note: 'round trip of one packet to the echo target and back (two passes through the relay)',
      rows: results.latency,
    },
    setup: {
      tunnels_per_second: setupRow?.tunnelsPerSecond ?? null,
      tunnels_per_second_tls_resumed: resumedRow?.tunnelsPerSecond ?? null,
      /** What one core could set up if the gateway had it alone: 1000 / the gateway's CPU ms per tunnel. */
      gateway_cpu_ms_per_tunnel: setupRow?.relayCpuMsPerTunnel ?? null,
      nginx_cpu_ms_per_handshake: handshakeCpu('nginx'),
      bare_node_cpu_ms_per_handshake: handshakeCpu(BARE_NODE_ROW),
      gateway_capacity_per_core_per_second: setupRow?.relayCpuMsPerTunnel
        ? round(1000 / setupRow.relayCpuMsPerTunnel, 0)
        : null,
      note: 'full TLS handshake for the headline; the resumed rows offer the previous session (a returning client)',
      rows: results.setup,
    },
    fresh: fresh ? { ratio_vs_nginx: freshRatio, ...fresh } : null,
    rdp_like: rdp,
    idle: results.idle ?? null,
    memory: {
      per_idle_tunnel_kib: perIdle,
      at_tunnels: memoryLevel?.tunnels ?? null,
      note: 'gateway RSS after a GC minus the RSS before any tunnel, per tunnel; the larger of fresh-idle and idle-after-traffic',
      baseline: concurrency?.baselineMemory ?? null,
      after_close: concurrency?.afterCloseMemory ?? null,
    },
    concurrency: {
      max_tunnels_without_error: largestClean?.tunnels ?? 0,
      levels: concurrency?.levels ?? [],
    },
  };
  const targets = {
    warm_ratio_vs_nginx_both_sizes: check(warmRatio, '>=', TARGETS.throughputRatioVsNginx),
    fresh_first_128mib_vs_nginx: check(freshRatio, '>=', TARGETS.freshRatioVsNginx),
    cpu_per_gib_vs_nginx: check(cpuVsNginx, '<=', TARGETS.cpuPerGiBVsNginx),
    setup_gateway_cpu_ms_per_tunnel: check(headline.setup.gateway_cpu_ms_per_tunnel, '<=', TARGETS.setupCpuMsPerTunnel),
    rdp_like_cpu_vs_nginx: check(rdp.cpu_vs_nginx, '<=', TARGETS.rdpCpuVsNginx),
    rdp_like_p99_added_ms: check(rdp.p99_added_ms, '<=', TARGETS.rdpP99AddedMs),
    idle_cpu_s_per_hour_10_tunnels: check(idleWith?.cpuSecondsPerHour ?? null, '<', TARGETS.idleCpuSecondsPerHour),
    latency_p99_added_ms: check(headline.latency.p99_added_ms, '<', TARGETS.latencyP99AddedMs),
    memory_per_idle_tunnel_kib: check(perIdle, '<=', TARGETS.memoryPerIdleTunnelKiB),
    concurrency_max_tunnels_without_error: check(
      concurrency ? headline.concurrency.max_tunnels_without_error : null,
      '>=',
      TARGETS.concurrentTunnels,
    ),
    setup_tunnels_per_second: check(headline.setup.tunnels_per_second, '>=', TARGETS.tunnelsPerSecond),
  };
  return {
    ...headline,
    carriers,
    targets,
    skipped: results.skipped,
    environment: results.environment,
    config: results.config,
    profiles: results.profiles,
  };
}

export type Report = ReturnType<typeof buildReport>;

function check(value: number | null, op: '>=' | '<' | '<=', target: number) {
  const met = value === null ? null : op === '>=' ? value >= target : op === '<' ? value < target : value <= target;
  return { value, target: `${op} ${target}`, met };
}

const fmt = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || Number.isNaN(value) ? '—' : String(round(value, digits));
const pad = (text: string, width: number): string => text.padEnd(width);
const lpad = (text: string, width: number): string => text.padStart(width);

/** One line per row that carries the gateway's window (Homegate's): its GCs and event-loop delay. */
function gatewayWindowLines(
  rows: readonly {
    readonly label: string;
    readonly gatewayGc?: ProbeSample['gc'];
    readonly gatewayEventLoopDelay?: ProbeSample['eventLoopDelay'];
  }[],
): string[] {
  return rows.flatMap((row) =>
    row.gatewayGc && row.gatewayEventLoopDelay
      ? [
          `  gateway during ${row.label}: ${row.gatewayGc.count} GCs (max ${fmt(row.gatewayGc.maxMs, 2)} ms), ` +
            `event-loop delay p99 ${fmt(row.gatewayEventLoopDelay.p99Ms, 2)} ms, max ${fmt(row.gatewayEventLoopDelay.maxMs, 2)} ms`,
        ]
      : [],
  );
}

export function printReport(report: Report): string {
  const lines: string[] = [];
  const env = report.environment;
  const config = report.config;
  lines.push(
    `Homegate bench (${config.mode}) — node ${String(env.node)}, ${typeof env.nginx === 'string' ? env.nginx : 'no nginx'}, ` +
      `${String(env.cpus)} CPUs, load ${JSON.stringify(env.loadAverageBefore)} before, ${String(env.durationSeconds)} s, ` +
      `${String(env.certificateKeyType)} certificates`,
  );

  if (report.throughput.rows.length) {
    const t = config.throughput;
    for (const size of report.throughput.by_packet_size) {
      lines.push(
        '',
        `Throughput, one tunnel, ${size.packet_bytes}-byte packets (MB/s, median of ${t.runs} × ${t.bytes / 2 ** 20} MiB, ` +
          'rows taking turns; vs base: median of the per-round ratios)',
      );
      lines.push(
        `  ${pad('transport', 30)}${lpad('upload', 8)}${lpad('download', 9)}${lpad('vs base', 12)}` +
          `   relay CPU ms/GiB   load gen % core   cipher`,
      );
      for (const row of report.throughput.rows.filter((r) => r.packetBytes === size.packet_bytes)) {
        const vs = row.upload?.vsBaseline || row.download?.vsBaseline;
        const lg = (d: typeof row.upload) =>
          d ? `${fmt(d.loadGeneratorCorePercentMax, 0)}${d.loadGeneratorBound ? '!' : ''}` : '—';
        lines.push(
          `  ${pad(row.label, 30)}${lpad(fmt(row.upload?.mbPerSecond, 0), 8)}${lpad(fmt(row.download?.mbPerSecond, 0), 9)}` +
            `${lpad(vs ? `${fmt(row.upload?.vsBaseline?.median)}/${fmt(row.download?.vsBaseline?.median)}` : '', 12)}` +
            `   ${pad(`${fmt(row.upload?.relayCpuMsPerGiB, 0)} / ${fmt(row.download?.relayCpuMsPerGiB, 0)}`, 17)}` +
            `  ${pad(`${lg(row.upload)} / ${lg(row.download)}`, 16)}` +
            `${row.tls ? `${row.tls.protocol} ${row.tls.cipher}` : 'plain TCP'}`,
        );
      }
      lines.push(
        `  Homegate / nginx: ${fmt(size.ratio_vs_nginx.upload)} up, ${fmt(size.ratio_vs_nginx.download)} down ` +
          `(per-round median); CPU per GiB ${fmt(size.cpu_per_gib_vs_nginx.upload)} / ${fmt(size.cpu_per_gib_vs_nginx.download)} × nginx's`,
      );
      if (report.throughput.rows.some((r) => r.transport === BARE_NODE_ROW)) {
        lines.push(
          `  Homegate / bare Node: ${fmt(size.ratio_vs_bare_node.upload)} up, ${fmt(size.ratio_vs_bare_node.download)} down ` +
            `(per-round median); CPU per GiB ${fmt(size.cpu_per_gib_vs_bare_node.upload)} / ` +
            `${fmt(size.cpu_per_gib_vs_bare_node.download)} × bare Node's`,
        );
      }
    }
    const bound = report.throughput.load_generator_bound;
    lines.push(
      bound.length
        ? `  ! the load generator used ≥ 90 % of a core in: ${bound.join(', ')} (it may have set those figures)`
        : '  the load generator stayed under 90 % of a core on every row',
    );
  }

  if (report.fresh) {
    const f = report.fresh;
    lines.push(
      '',
      `A fresh gateway's first ${f.bytes / 2 ** 20} MiB (${f.packetBytes}-byte packets; a new gateway each of ${f.rounds} rounds; nginx on a new connection)`,
    );
    for (const d of ['upload', 'download'] as const) {
      const x = f[d];
      lines.push(
        `  ${pad(d, 9)} Homegate ${x.homegateMbPerSecond.join(', ')} MB/s; nginx ${x.nginxMbPerSecond.join(', ')} MB/s; ` +
          `ratio ${fmt(x.ratio.median)} (rounds ${x.ratio.runs.join(', ')}); CPU ms/GiB ${x.homegateCpuMsPerGiB} vs ${x.nginxCpuMsPerGiB}; ` +
          `load gen ≤ ${fmt(x.loadGeneratorCorePercentMax, 0)} % core`,
      );
    }
  }

  if (report.latency.rows.length) {
    const l = config.latency;
    lines.push('', `Latency, ${l.packetBytes}-byte round trips through the echo target (ms, ${l.count} samples)`);
    lines.push(
      `  ${pad('transport', 30)}${lpad('p50', 9)}${lpad('p99', 9)}${lpad('mean', 9)}${lpad('max', 9)}   relay CPU µs per round trip`,
    );
    for (const row of report.latency.rows) {
      lines.push(
        `  ${pad(row.label, 30)}${lpad(fmt(row.p50Ms, 3), 9)}${lpad(fmt(row.p99Ms, 3), 9)}${lpad(fmt(row.meanMs, 3), 9)}` +
          `${lpad(fmt(row.maxMs, 3), 9)}   ${fmt(row.relayCpuUsPerRoundTrip, 1)}`,
      );
    }
    lines.push(
      `  added by Homegate: p50 ${fmt(report.latency.p50_added_ms, 3)} ms, p99 ${fmt(report.latency.p99_added_ms, 3)} ms ` +
        `vs direct; p99 ${fmt(report.latency.p99_added_vs_nginx_ms, 3)} ms vs nginx, ` +
        `${fmt(report.latency.p99_added_vs_bare_node_ms, 3)} ms vs bare Node`,
    );
    lines.push(...gatewayWindowLines(report.latency.rows));
  }

  if (report.rdp_like.rows.length) {
    const r = config.rdp;
    lines.push(
      '',
      `RDP-like load: ${r.tunnels} tunnels × ${(r.downBytesPerSecond * 8) / 1e6} Mbit/s down, ${(r.upBytesPerSecond * 8) / 1e6} up, ` +
        `200–1,500-byte writes paced every 10 ms; a 64-byte echo every ${r.probeIntervalMs} ms beside, from a process ` +
        `of its own to a target of its own (${r.rounds} × ${r.seconds} s; loop p99: event-loop delay, worst round)`,
    );
    lines.push(
      `  ${pad('transport', 30)}${lpad('relay CPU %', 12)}${lpad('down MB/s', 10)}${lpad('up MB/s', 9)}` +
        `${lpad('RTT p50', 9)}${lpad('RTT p99', 9)}${lpad('load gen %', 11)}${lpad('loop p99: load gen / probe', 28)}`,
    );
    for (const row of report.rdp_like.rows) {
      lines.push(
        `  ${pad(row.label, 30)}${lpad(fmt(row.relayCpuPercent, 1), 12)}${lpad(fmt(row.downMbPerSecond), 10)}` +
          `${lpad(fmt(row.upMbPerSecond), 9)}${lpad(fmt(row.roundTrip.p50Ms, 3), 9)}${lpad(fmt(row.roundTrip.p99Ms, 3), 9)}` +
          `${lpad(fmt(row.loadGeneratorCpuPercent, 0), 11)}` +
          `${lpad(`${fmt(row.loadGeneratorEventLoopDelayP99Ms, 2)} / ${fmt(row.probeEventLoopDelayP99Ms, 2)}`, 28)}`,
      );
    }
    lines.push(
      `  gateway CPU ${fmt(report.rdp_like.cpu_vs_nginx)} × nginx's, ${fmt(report.rdp_like.cpu_vs_bare_node)} × bare Node's; ` +
        'interactive round trip added over direct: ' +
        `p50 ${fmt(report.rdp_like.p50_added_ms, 3)} ms, p99 ${fmt(report.rdp_like.p99_added_ms, 3)} ms; ` +
        `p99 over nginx ${fmt(report.rdp_like.p99_added_vs_nginx_ms, 3)} ms`,
    );
    lines.push(...gatewayWindowLines(report.rdp_like.rows));
  }

  if (report.idle) {
    lines.push(
      '',
      'Idle cost of the gateway (its probe timer stopped; wake-ups = context switches of all its threads)',
    );
    for (const level of report.idle) {
      lines.push(
        `  ${lpad(String(level.tunnels), 3)} idle tunnels, ${level.seconds} s after ${level.settleSeconds} s of settling: ` +
          `${fmt(level.cpuSecondsPerHour)} CPU s/hour, ` +
          `${fmt(level.wakeupsPerSecond, 1)} wake-ups/s (${level.threads} threads)`,
      );
    }
  }

  if (report.setup.rows.length) {
    const s = config.setup;
    lines.push(
      '',
      `Setup, ${s.count} connections after ${s.warmup} not counted, ${s.concurrency} at a time (opened, then dropped)`,
    );
    lines.push(
      `  ${pad('transport', 30)}${lpad('per s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('errors', 8)}   CPU ms each: relay / load generator`,
    );
    for (const row of report.setup.rows) {
      lines.push(
        `  ${pad(`${row.label}${row.tlsResumption ? ` (resumed ${row.resumed})` : ''}`, 30)}` +
          `${lpad(fmt(row.tunnelsPerSecond, 0), 9)}${lpad(fmt(row.setupTime.p50Ms), 9)}` +
          `${lpad(fmt(row.setupTime.p99Ms), 9)}${lpad(String(row.errors), 8)}   ` +
          `${fmt(row.relayCpuMsPerTunnel, 3)} / ${fmt(row.loadGeneratorCpuMsPerTunnel, 3)}`,
      );
    }
  }

  if (report.setup.gateway_capacity_per_core_per_second !== null) {
    lines.push(
      `  the gateway's CPU per WebSocket tunnel (${fmt(report.setup.gateway_cpu_ms_per_tunnel, 2)} ms) allows ` +
        `${fmt(report.setup.gateway_capacity_per_core_per_second, 0)} setups/s on a core of its own; ` +
        `CPU per TLS handshake: nginx's ${fmt(report.setup.nginx_cpu_ms_per_handshake, 2)} ms, ` +
        `bare Node's ${fmt(report.setup.bare_node_cpu_ms_per_handshake, 2)} ms`,
    );
  }

  if (report.concurrency.levels.length) {
    const c = config.concurrency;
    lines.push(
      '',
      `Concurrency (Homegate), ${c.packetBytes}-byte echo per tunnel every ${c.intervalMs} ms for ${c.trafficMs / 1000} s; ` +
        `baseline RSS ${fmt((report.memory.baseline?.rssKiB ?? 0) / 1024, 1)} MiB`,
    );
    lines.push(
      `  ${lpad('tunnels', 8)}${lpad('errors', 8)}${lpad('KiB/idle', 10)}${lpad('KiB/after', 11)}${lpad('RSS MiB', 9)}` +
        `${lpad('RTT p50', 9)}${lpad('RTT p99', 9)}${lpad('loop p99', 10)}${lpad('loop max', 10)}${lpad('CPU %', 7)}`,
    );
    for (const level of report.concurrency.levels) {
      lines.push(
        `  ${lpad(String(level.tunnels), 8)}${lpad(String(level.openErrors + level.trafficErrors), 8)}` +
          `${lpad(fmt(level.perTunnelKiB.idle, 1), 10)}${lpad(fmt(level.perTunnelKiB.afterTraffic, 1), 11)}` +
          `${lpad(fmt(level.afterTrafficMemory.rssKiB / 1024, 1), 9)}${lpad(fmt(level.roundTrip.p50Ms, 3), 9)}` +
          `${lpad(fmt(level.roundTrip.p99Ms, 3), 9)}${lpad(fmt(level.gatewayEventLoopDelay.p99Ms, 2), 10)}` +
          `${lpad(fmt(level.gatewayEventLoopDelay.maxMs, 2), 10)}${lpad(fmt(level.gatewayCpuPercent, 0), 7)}`,
      );
      if (level.firstError) lines.push(`    first error: ${level.firstError}`);
    }
    if (report.memory.after_close) {
      lines.push(`  after closing every tunnel: RSS ${fmt(report.memory.after_close.rssKiB / 1024, 1)} MiB`);
    }
  }

  const carrierRows = Object.entries(report.carriers);
  if (carrierRows.length) {
    lines.push('', 'Homegate carriers against the relay doing the same work (throughput ratio; latency added, ms)');
    lines.push(
      `  ${pad('carrier', 30)}${pad('baseline', 12)}${lpad('up', 7)}${lpad('down', 7)}${lpad('p50+', 9)}${lpad('p99+', 9)}` +
        `${lpad('setups/s', 10)}`,
    );
    for (const [id, c] of carrierRows) {
      lines.push(
        `  ${pad(id, 30)}${pad(c.baseline, 12)}${lpad(fmt(c.throughput_ratio_vs_baseline.upload), 7)}` +
          `${lpad(fmt(c.throughput_ratio_vs_baseline.download), 7)}${lpad(fmt(c.latency_p50_added_vs_direct_ms, 3), 9)}` +
          `${lpad(fmt(c.latency_p99_added_vs_direct_ms, 3), 9)}${lpad(fmt(c.setup_tunnels_per_second, 0), 10)}`,
      );
    }
  }

  lines.push('', 'Targets');
  for (const [name, target] of Object.entries(report.targets)) {
    const verdict = target.met === null ? 'not measured' : target.met ? 'met' : 'MISSED';
    lines.push(`  ${pad(name, 40)}${lpad(fmt(target.value, 3), 10)}  ${pad(target.target, 8)}  ${verdict}`);
  }
  for (const [id, reason] of Object.entries(report.skipped)) lines.push(`  skipped ${id}: ${reason}`);

  for (const profile of report.profiles) {
    lines.push(
      '',
      `CPU profile ${profile.file} (busy ${profile.busyMs} ms, idle ${profile.idleMs} ms), top self time:`,
    );
    for (const frame of profile.top) {
      lines.push(`  ${lpad(`${frame.selfPercent}%`, 6)} ${lpad(`${frame.selfMs} ms`, 9)}  ${frame.frame}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
