// Loaded into the gateway process with `node --import` by the bench (never by Homegate itself). Over the IPC
// channel the bench opened it answers with the process's memory, CPU time, event-loop delay and GC pauses, after
// a full GC when asked (the gateway runs with --expose-gc). Without an IPC channel it does nothing.
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send) {
  // The histogram records the time between its timer's runs, so the lag is that minus the resolution.
  const RESOLUTION_MS = 5;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let cpuSince = process.cpuUsage();
  let gc = { count: 0, totalMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let wallSince = process.hrtime.bigint();

  const ms = (ns) => Number(ns) / 1e6;
  const lagMs = (ns) => Math.max(0, Number(ns) / 1e6 - RESOLUTION_MS);
  const snapshot = () => ({
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(cpuSince),
    wallMs: ms(process.hrtime.bigint() - wallSince),
    eventLoopDelay: {
      minMs: lagMs(delay.min),
      meanMs: lagMs(delay.mean),
      p50Ms: lagMs(delay.percentile(50)),
      p99Ms: lagMs(delay.percentile(99)),
      maxMs: lagMs(delay.max),
      samples: delay.count,
    },
    gc: { ...gc },
    activeResources: process.getActiveResourcesInfo().length,
  });

  process.on('message', (message) => {
    const { id, type } = message ?? {};
    if (type === 'quiet') {
      // For the idle phase: the histogram's 5 ms timer would wake the process 200 times a second.
      delay.disable();
      process.send?.({ id, sample: snapshot() });
    } else if (type === 'reset') {
      delay.enable();
      delay.reset();
      gc = { count: 0, totalMs: 0, maxMs: 0 };
      cpuSince = process.cpuUsage();
      wallSince = process.hrtime.bigint();
      process.send?.({ id, sample: snapshot() });
    } else if (type === 'sample') {
      if (message.gc && typeof globalThis.gc === 'function') {
        // Two passes, then let the allocator hand pages back before RSS is read.
        globalThis.gc();
        globalThis.gc();
        setTimeout(() => process.send?.({ id, sample: snapshot() }), 250);
        return;
      }
      process.send?.({ id, sample: snapshot() });
    }
  });
  // The channel must not keep the gateway alive after `serve` has stopped.
  process.channel?.unref();
  // The bench is gone: stop the gateway as `serve` expects to be stopped.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
