/**
 * A worker's info record: who it is and what it has done lately, one per queue it serves at
 * `<p>:{q}:worker:<id>` (keys.ts `worker`), a JSON text with `PX workerTtlMs`, rewritten by the
 * worker with each maintenance tick and deleted when it closes. docs/PROTOCOL.md describes it for
 * people. The heartbeat itself stays in the `workers` ZSET (maintain-8.lua): this record only
 * adds what an operator wants to see (`taskwire inspect`, the dashboard) and what a live
 * contract registry needs (the tasks and their fingerprints), so a worker that does not write
 * one (another implementation, an older taskwire) still counts as alive.
 */

export const WORKER_INFO_VERSION = 1;

/** Seconds of per-second counts a record carries. */
export const THROUGHPUT_SECONDS = 60;

export interface WorkerTaskInfo {
  /** Dotted task path. */
  readonly path: string;
  /** fingerprintTask() of the worker's view of the task's schemas. */
  readonly fingerprint: string;
  /**
   * viewDigest() of the task's full view (schemas with refinements, queue): names its schema
   * record `<p>:{q}:schema:<digest>` (task-schema-record.ts). Absent from older workers' records.
   */
  readonly digest?: string;
}

/** Calls of this queue that this worker settled, per second, oldest first. */
export interface Throughput {
  /** The last second counted, as ms since epoch (worker's clock) of its start; the arrays end with it. */
  readonly until: number;
  /** THROUGHPUT_SECONDS counts each. */
  readonly succeeded: readonly number[];
  /** Failed attempts (retried and dead-lettered ones included) and calls expired before they ran. */
  readonly failed: readonly number[];
}

export interface WorkerInfo {
  readonly v: typeof WORKER_INFO_VERSION;
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** taskwire's package version. */
  readonly version: string;
  readonly concurrency: number;
  /** Every queue the worker serves (this record sits on one of them). */
  readonly queues: readonly string[];
  /** ms since epoch (worker's clock). */
  readonly startedAt: number;
  /** When this record was written, ms since epoch (worker's clock). */
  readonly at: number;
  /** Calls running in this worker now, over all its queues. */
  readonly running: number;
  /** The tasks the worker serves on this queue. */
  readonly tasks: readonly WorkerTaskInfo[];
  /** Totals on this queue since the worker started. */
  readonly settled: { readonly succeeded: number; readonly failed: number };
  readonly throughput: Throughput;
}

export function encodeWorkerInfo(info: Omit<WorkerInfo, 'v'>): string {
  return JSON.stringify({ v: WORKER_INFO_VERSION, ...info });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function counts(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.length === THROUGHPUT_SECONDS && v.every(isCount) ? (v as number[]) : undefined;
}

/**
 * The record, or undefined when it is not one this version understands: the reader then shows
 * the worker from its heartbeat alone rather than failing the whole overview.
 */
export function decodeWorkerInfo(raw: string): WorkerInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(v) || v['v'] !== WORKER_INFO_VERSION) return undefined;
  const { id, host, pid, version, concurrency, queues, startedAt, at, running, tasks, settled, throughput } = v;
  if (typeof id !== 'string' || typeof host !== 'string' || typeof version !== 'string') return undefined;
  if (!isCount(pid) || !isCount(concurrency) || !isCount(startedAt) || !isCount(at) || !isCount(running)) return undefined;
  if (!Array.isArray(queues) || !queues.every((q) => typeof q === 'string')) return undefined;
  if (!Array.isArray(tasks) || !tasks.every((t) => isObject(t) && typeof t['path'] === 'string' && typeof t['fingerprint'] === 'string')) return undefined;
  if (!isObject(settled) || !isCount(settled['succeeded']) || !isCount(settled['failed'])) return undefined;
  if (!isObject(throughput) || !isCount(throughput['until'])) return undefined;
  const succeeded = counts(throughput['succeeded']);
  const failed = counts(throughput['failed']);
  if (!succeeded || !failed) return undefined;
  return {
    v: WORKER_INFO_VERSION,
    id,
    host,
    pid,
    version,
    concurrency,
    queues: queues as string[],
    startedAt,
    at,
    running,
    tasks: (tasks as Array<Record<string, unknown>>).map((t) => ({
      path: String(t['path']),
      fingerprint: String(t['fingerprint']),
      ...(typeof t['digest'] === 'string' ? { digest: t['digest'] } : {}),
    })),
    settled: { succeeded: settled['succeeded'], failed: settled['failed'] },
    throughput: { until: throughput['until'], succeeded, failed },
  };
}
