/** CPU time of processes: ours (process.cpuUsage), the gateway's (its probe), nginx's workers (/proc). */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds of `pid` from /proc/PID/stat (10 ms resolution); 0 when it cannot be read. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A stopwatch for CPU time: call it to get the milliseconds spent since it was made. */
export type CpuMeter = () => Promise<number>;

export function selfCpuMeter(): CpuMeter {
  const since = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(since);
    return Promise.resolve((used.user + used.system) / 1000);
  };
}

export function procCpuMeter(pids: readonly number[]): CpuMeter {
  const since = pids.reduce((total, pid) => total + procCpuMs(pid), 0);
  return () => Promise.resolve(pids.reduce((total, pid) => total + procCpuMs(pid), 0) - since);
}
