import { createHash } from 'node:crypto';
import { decodeCall } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import { decodeWorkerInfo, THROUGHPUT_SECONDS, type WorkerInfo, type WorkerTaskInfo } from '../wire/worker-info.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { QueueViewStore } from '../transport/queue-view-store.js';
import type { WorkerRegistry } from '../transport/worker-registry.js';

/** One queue's figures. */
export interface QueueOverview {
  name: string;
  /** Calls on the wait list. */
  waiting: number;
  /** Calls a worker holds a lease on. */
  running: number;
  /** Calls waiting out a delay (delayMs, runAt) or a retry backoff. */
  delayed: number;
  /** Entries on the dead-letter stream. */
  dead: number;
  /** Workers whose heartbeat is younger than `workerTtlMs`. */
  workers: number;
  /** How long ago the call at the head of the wait list was sent (ms), null when none waits. */
  oldestWaitingMs: number | null;
  /** Calls the queue's live workers settled per second over the last minute. */
  callsPerSecond: number;
  /** Per second, oldest first, the last entry being the current second. */
  throughput: { until: number; succeeded: number[]; failed: number[] };
  /**
   * Which versions of the contract the queue's live workers serve, most workers first: workers
   * whose tasks (paths and schema digests) are the same share a version. Workers without an
   * info record are not in it.
   */
  contracts: ContractVersion[];
  /**
   * Of a partitioned queue (docs/PARTITIONS.md), each partition's own figures, by index; the
   * queue's figures above are their sums (workers: distinct workers, oldest: the oldest head).
   * Absent for a queue that is not partitioned.
   */
  partitions?: PartitionOverview[];
}

/** One partition's figures: its queue name (`<queue>#<index>`), index and counts. */
export type PartitionOverview = Pick<QueueOverview, 'name' | 'waiting' | 'running' | 'delayed' | 'dead' | 'workers' | 'oldestWaitingMs'> & { index: number };

/** One version of the tasks served on a queue. */
export interface ContractVersion {
  /** 12 hex of a hash over its tasks' paths and digests (fingerprints for older workers). */
  version: string;
  workers: number;
  tasks: WorkerTaskInfo[];
}

function contractVersions(infos: readonly WorkerInfo[]): ContractVersion[] {
  const byVersion = new Map<string, ContractVersion>();
  for (const info of infos) {
    const tasks = [...info.tasks].sort((a, b) => a.path.localeCompare(b.path));
    const version = createHash('sha256')
      .update(tasks.map((t) => `${t.path}@${t.digest ?? t.fingerprint}`).join('\n'))
      .digest('hex')
      .slice(0, 12);
    const v = byVersion.get(version) ?? { version, workers: 0, tasks };
    v.workers++;
    byVersion.set(version, v);
  }
  return [...byVersion.values()].sort((a, b) => b.workers - a.workers || a.version.localeCompare(b.version));
}

/** One live worker, over the queues it serves. */
export interface WorkerOverview {
  id: string;
  /** The queues it sent a heartbeat on. */
  queues: string[];
  /** Since its latest heartbeat, ms (Redis clock). */
  heartbeatAgeMs: number;
  /** From its info record; null for a worker that writes none (an older taskwire, another implementation). */
  host: string | null;
  pid: number | null;
  version: string | null;
  concurrency: number | null;
  /** Calls it runs now, over all its queues. */
  running: number | null;
  startedAt: number | null;
  /** The tasks it serves, with their schema fingerprints. */
  tasks: WorkerTaskInfo[];
  /** Calls it settled per second over the last minute, over all its queues. */
  callsPerSecond: number;
}

/** Everything `taskwire inspect`, the dashboard and a metrics exporter show: one read, one set of figures. */
export interface Overview {
  prefix: string;
  /** When it was read, ms (Redis clock). */
  at: number;
  workerTtlMs: number;
  queues: QueueOverview[];
  workers: WorkerOverview[];
}

export interface OverviewStores {
  queues: QueueStore;
  views: QueueViewStore;
  registry: WorkerRegistry;
}

interface QueueRead {
  figures: QueueOverview;
  live: Array<{ id: string; at: number; info: WorkerInfo | undefined }>;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const perSecond = (n: number): number => Math.round((n / THROUGHPUT_SECONDS) * 100) / 100;

/** Adds one record's per-second counts into `into`, aligned on the seconds both windows name. */
function addThroughput(into: QueueOverview['throughput'], info: WorkerInfo): void {
  const shift = Math.round((into.until - info.throughput.until) / 1000);
  for (let i = 0; i < THROUGHPUT_SECONDS; i++) {
    const j = i + shift;
    if (j < 0 || j >= THROUGHPUT_SECONDS) continue;
    into.succeeded[i] = (into.succeeded[i] ?? 0) + (info.throughput.succeeded[j] ?? 0);
    into.failed[i] = (into.failed[i] ?? 0) + (info.throughput.failed[j] ?? 0);
  }
}

async function readQueue(s: OverviewStores, k: QueueKeys, now: number, workerTtlMs: number, until: number): Promise<QueueRead> {
  const [counts, head, beats] = await Promise.all([s.queues.counts(k, workerTtlMs), s.views.head(k), s.views.heartbeats(k)]);
  const alive = beats.filter((b) => b.at >= now - workerTtlMs);
  const records = await s.registry.read(k, alive.map((b) => b.id));
  const live = alive.map((b, i) => {
    const raw = records[i];
    const info = raw ? decodeWorkerInfo(raw) : undefined;
    return { id: b.id, at: b.at, info: info?.id === b.id ? info : undefined };
  });
  const throughput = { until, succeeded: new Array<number>(THROUGHPUT_SECONDS).fill(0), failed: new Array<number>(THROUGHPUT_SECONDS).fill(0) };
  for (const w of live) if (w.info) addThroughput(throughput, w.info);
  const call = head === null ? undefined : decodeCall(head);
  const sentAt = call?.ok ? call.value.sentAt : undefined;
  return {
    figures: {
      name: k.queue,
      waiting: counts.waiting,
      running: counts.running,
      delayed: counts.delayed,
      dead: counts.dead,
      workers: counts.workers,
      // A caller's clock ahead of Redis' must not show a negative age.
      oldestWaitingMs: sentAt === undefined ? (head === null ? null : 0) : Math.max(0, now - sentAt),
      callsPerSecond: perSecond(sum(throughput.succeeded) + sum(throughput.failed)),
      throughput,
      contracts: contractVersions(live.flatMap((w) => (w.info ? [w.info] : []))),
    },
    live,
  };
}

/** The reads of a partitioned queue's partitions as one queue's, with each partition's figures beside. */
function mergePartitions(parts: readonly QueueKeys[], reads: readonly QueueRead[]): QueueRead {
  const first = reads[0];
  if (reads.length === 1 && first && parts[0]?.partition === undefined) return first;
  const live = new Map<string, QueueRead['live'][number]>();
  for (const r of reads) for (const w of r.live) if (!live.has(w.id) || (!live.get(w.id)?.info && w.info)) live.set(w.id, w);
  const f = reads.map((r) => r.figures);
  const throughput = { until: first?.figures.throughput.until ?? 0, succeeded: new Array<number>(THROUGHPUT_SECONDS).fill(0), failed: new Array<number>(THROUGHPUT_SECONDS).fill(0) };
  for (const x of f) {
    for (let i = 0; i < THROUGHPUT_SECONDS; i++) {
      throughput.succeeded[i] = (throughput.succeeded[i] ?? 0) + (x.throughput.succeeded[i] ?? 0);
      throughput.failed[i] = (throughput.failed[i] ?? 0) + (x.throughput.failed[i] ?? 0);
    }
  }
  const ages = f.flatMap((x) => (x.oldestWaitingMs === null ? [] : [x.oldestWaitingMs]));
  const workers = [...live.values()];
  return {
    figures: {
      name: parts[0]?.logical ?? '',
      waiting: sum(f.map((x) => x.waiting)),
      running: sum(f.map((x) => x.running)),
      delayed: sum(f.map((x) => x.delayed)),
      dead: sum(f.map((x) => x.dead)),
      workers: workers.length,
      oldestWaitingMs: ages.length === 0 ? null : Math.max(...ages),
      callsPerSecond: perSecond(sum(throughput.succeeded) + sum(throughput.failed)),
      throughput,
      contracts: contractVersions(workers.flatMap((w) => (w.info ? [w.info] : []))),
      partitions: f.map((x, i) => ({
        name: x.name,
        index: parts[i]?.partition ?? i,
        waiting: x.waiting,
        running: x.running,
        delayed: x.delayed,
        dead: x.dead,
        workers: x.workers,
        oldestWaitingMs: x.oldestWaitingMs,
      })),
    },
    live: workers,
  };
}

/**
 * Reads every figure of the given queues in one pass: counts, the head's age, heartbeats, and
 * the live workers' info records with their throughput. `nowLocal` aligns the per-second
 * windows, which workers count on their own clocks. Each queue is given as its keys: several
 * for a partitioned queue (its partitions), shown as one queue.
 */
export async function readOverview(s: OverviewStores, prefix: string, queues: ReadonlyArray<readonly QueueKeys[]>, workerTtlMs: number, nowLocal = Date.now()): Promise<Overview> {
  const now = await s.views.now();
  const until = Math.floor(nowLocal / 1000) * 1000;
  const reads = await Promise.all(queues.map(async (parts) => mergePartitions(parts, await Promise.all(parts.map((k) => readQueue(s, k, now, workerTtlMs, until))))));

  const workers = new Map<string, WorkerOverview>();
  for (const { figures, live } of reads) {
    for (const w of live) {
      let o = workers.get(w.id);
      if (!o) {
        o = { id: w.id, queues: [], heartbeatAgeMs: Number.POSITIVE_INFINITY, host: null, pid: null, version: null, concurrency: null, running: null, startedAt: null, tasks: [], callsPerSecond: 0 };
        workers.set(w.id, o);
      }
      o.queues.push(figures.name);
      o.heartbeatAgeMs = Math.min(o.heartbeatAgeMs, Math.max(0, now - w.at));
      const info = w.info;
      if (!info) continue;
      o.host = info.host;
      o.pid = info.pid;
      o.version = info.version;
      o.concurrency = info.concurrency;
      o.running = info.running;
      o.startedAt = info.startedAt;
      o.tasks.push(...info.tasks);
      o.callsPerSecond = Math.round((o.callsPerSecond + perSecond(sum(info.throughput.succeeded) + sum(info.throughput.failed))) * 100) / 100;
    }
  }
  return {
    prefix,
    at: now,
    workerTtlMs,
    queues: reads.map((r) => r.figures),
    workers: [...workers.values()].sort((a, b) => (a.host ?? '').localeCompare(b.host ?? '') || (a.pid ?? 0) - (b.pid ?? 0) || a.id.localeCompare(b.id)),
  };
}
