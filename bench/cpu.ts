import type { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';

/**
 * CPU time spent by each party of a run, so a system's cost per call can be split into the
 * caller's process, the worker processes and Redis. On two shared cores, CPU per call is what
 * bounds throughput, and it is far less noisy than calls/s.
 */
export interface CpuSnapshot {
  clientUs: number;
  workersUs: number;
  redisUs: number;
  /** Busy time of the whole machine (all processes, all cores), from /proc/stat. */
  machineUs: number;
  wallUs: number;
}

export interface CpuPerCall {
  clientUs: number;
  workersUs: number;
  redisUs: number;
  /**
   * Cores kept busy by processes outside this run (other jobs on a shared box) while it ran,
   * on average. Above ~0.2 on two cores, the run's figures are suspect.
   */
  otherCores: number;
}

// USER_HZ: 100 on every Linux build that matters; /proc/<pid>/stat counts in these ticks.
const TICK_US = 10_000;

/** utime + stime of a process from /proc; 0 where /proc is absent (the figure is then omitted). */
function processCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return 0;
  }
}

/** user + nice + system + irq + softirq + steal of all cores; 0 where /proc is absent. */
function machineBusyUs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * TICK_US;
  } catch {
    return 0;
  }
}

async function redisCpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

export async function cpuSnapshot(admin: Redis, workerPids: readonly number[]): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  return {
    clientUs: own.user + own.system,
    workersUs: workerPids.reduce((sum, pid) => sum + processCpuUs(pid), 0),
    redisUs: await redisCpuUs(admin),
    machineUs: machineBusyUs(),
    wallUs: performance.now() * 1000,
  };
}

function otherCores(before: CpuSnapshot, after: CpuSnapshot): number {
  const ours = after.clientUs - before.clientUs + (after.workersUs - before.workersUs) + (after.redisUs - before.redisUs);
  const wall = after.wallUs - before.wallUs;
  if (!(wall > 0) || after.machineUs === 0) return Number.NaN;
  return Math.max(0, (after.machineUs - before.machineUs - ours) / wall);
}

export function cpuPerCall(before: CpuSnapshot, after: CpuSnapshot, calls: number): CpuPerCall {
  const per = (a: number, b: number) => (calls > 0 ? (b - a) / calls : Number.NaN);
  return {
    clientUs: per(before.clientUs, after.clientUs),
    workersUs: per(before.workersUs, after.workersUs),
    redisUs: per(before.redisUs, after.redisUs),
    otherCores: otherCores(before, after),
  };
}
