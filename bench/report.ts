/** Turns the raw figures into the headline numbers (with their targets) and the printed table. */
import type { BenchResults } from './main.ts';
import { round } from './lib/stats.ts';
import { TRANSPORTS } from './lib/transports.ts';

const HOMEGATE_ROW = 'homegate-websocket';

export const TARGETS = {
  throughputRatioVsNginx: 0.8,
  latencyP99AddedMs: 1,
  memoryPerIdleTunnelKiB: 64,
  concurrentTunnels: 2000,
  tunnelsPerSecond: 500,
} as const;

const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : round(a / b, 3);
const minOf = (...values: (number | null)[]): number | null => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === values.length && known.length > 0 ? Math.min(...known) : null;
};

export function buildReport(results: BenchResults) {
  const byId = <T extends { transport: string }>(rows: readonly T[], id: string): T | undefined =>
    rows.find((row) => row.transport === id);

  const tp = (id: string) => byId(results.throughput, id);
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
      note: 'round trip of one packet to the echo target and back (two passes through the relay)',
      rows: results.latency,
    },
    setup: {
      tunnels_per_second: setupRow?.tunnelsPerSecond ?? null,
      tunnels_per_second_tls_resumed: resumedRow?.tunnelsPerSecond ?? null,
      /** What one core could set up if the gateway had it alone: 1000 / the gateway's CPU ms per tunnel. */
      gateway_cpu_ms_per_tunnel: setupRow?.relayCpuMsPerTunnel ?? null,
      gateway_capacity_per_core_per_second: setupRow?.relayCpuMsPerTunnel
        ? round(1000 / setupRow.relayCpuMsPerTunnel, 0)
        : null,
      note: 'full TLS handshake for the headline; the resumed rows offer the previous session (a returning client)',
      rows: results.setup,
    },
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
    throughput_ratio_vs_nginx: check(headline.throughput.ratio_vs_nginx, '>=', TARGETS.throughputRatioVsNginx),
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

export function printReport(report: Report): string {
  const lines: string[] = [];
  const env = report.environment;
  const config = report.config;
  lines.push(
    `Homegate bench (${config.mode}) — node ${String(env.node)}, ${typeof env.nginx === 'string' ? env.nginx : 'no nginx'}, ` +
      `${String(env.cpus)} CPUs, load ${JSON.stringify(env.loadAverageBefore)} before, ${String(env.durationSeconds)} s`,
  );

  if (report.throughput.rows.length) {
    const t = config.throughput;
    lines.push(
      '',
      `Throughput, one tunnel (MB/s, median of ${t.runs} × ${t.bytes / 2 ** 20} MiB, ${t.chunkBytes / 1024} KiB writes)`,
    );
    lines.push(
      `  ${pad('transport', 30)}${lpad('upload', 9)}${lpad('download', 10)}   relay CPU ms/GiB up/down   cipher`,
    );
    for (const row of report.throughput.rows) {
      lines.push(
        `  ${pad(row.label, 30)}${lpad(fmt(row.upload?.mbPerSecond, 0), 9)}${lpad(fmt(row.download?.mbPerSecond, 0), 10)}` +
          `   ${pad(`${fmt(row.upload?.relayCpuMsPerGiB, 0)} / ${fmt(row.download?.relayCpuMsPerGiB, 0)}`, 26)}` +
          `${row.tls ? `${row.tls.protocol} ${row.tls.cipher}` : 'plain TCP'}`,
      );
    }
    const n = report.throughput.ratio_vs_nginx_by_direction;
    const d = report.throughput.ratio_vs_direct_by_direction;
    lines.push(`  ${pad('Homegate / nginx', 30)}${lpad(fmt(n.upload), 9)}${lpad(fmt(n.download), 10)}`);
    lines.push(`  ${pad('Homegate / direct', 30)}${lpad(fmt(d.upload), 9)}${lpad(fmt(d.download), 10)}`);
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
        `vs direct; p99 ${fmt(report.latency.p99_added_vs_nginx_ms, 3)} ms vs nginx`,
    );
    for (const row of report.latency.rows) {
      if (!row.gatewayGc || !row.gatewayEventLoopDelay) continue;
      lines.push(
        `  gateway during ${row.label}: ${row.gatewayGc.count} GCs (max ${fmt(row.gatewayGc.maxMs, 2)} ms), ` +
          `event-loop delay p99 ${fmt(row.gatewayEventLoopDelay.p99Ms, 2)} ms, max ${fmt(row.gatewayEventLoopDelay.maxMs, 2)} ms`,
      );
    }
  }

  if (report.setup.rows.length) {
    const s = config.setup;
    lines.push('', `Setup, ${s.count} connections, ${s.concurrency} at a time (opened, then dropped)`);
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
        `${fmt(report.setup.gateway_capacity_per_core_per_second, 0)} setups/s on a core of its own`,
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
