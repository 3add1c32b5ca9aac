import { checkCaller, type CallProblem } from '../contract/compatibility.js';
import type { RouteTable } from '../contract/route.js';
import { routeView } from '../contract/task-view.js';
import { closeConnection, openConnection, type RedisSource } from '../transport/connection.js';
import { QueueViewStore } from '../transport/queue-view-store.js';
import { WorkerRegistry } from '../transport/worker-registry.js';
import { queueKeys } from '../wire/keys.js';
import { DEFAULTS } from '../wire/protocol.js';
import { decodeTaskSchema } from '../wire/task-schema-record.js';
import { decodeWorkerInfo, type WorkerInfo } from '../wire/worker-info.js';

/** How this client's calls of one task fare against one version served on its queue. */
export interface LiveVersionCheck {
  /** Live workers serving this version (their task entry is the same). */
  readonly workers: number;
  readonly fingerprint: string | null;
  /** `safe`, `breaking` (problems say how), or `unknown`: the worker published no schema record and its fingerprint differs. */
  readonly verdict: 'safe' | 'breaking' | 'unknown';
  readonly problems: CallProblem[];
  readonly notes: string[];
}

export interface LiveTaskCheck {
  readonly task: string;
  readonly queue: string;
  /** The worst of its versions; `breaking` also when no live worker serves the queue (NO_WORKERS). */
  readonly verdict: 'safe' | 'breaking' | 'unknown';
  readonly versions: LiveVersionCheck[];
}

/** `client.$check()`'s answer: ok when every task is safe against every live version. */
export interface LiveCheck {
  readonly ok: boolean;
  readonly tasks: LiveTaskCheck[];
}

const worst = (vs: ReadonlyArray<{ verdict: LiveTaskCheck['verdict'] }>): LiveTaskCheck['verdict'] =>
  vs.some((v) => v.verdict === 'breaking') ? 'breaking' : vs.some((v) => v.verdict === 'unknown') ? 'unknown' : 'safe';

/**
 * Compares a client's route table with what the live workers of its queues serve, with the rules
 * `taskwire breaking` applies (contract/compatibility.ts checkCaller): reads heartbeats, info
 * records and schema records on a connection of its own, opened and closed here, so the call
 * path pays nothing for it.
 */
export async function checkLive(routes: RouteTable, options: { redis: RedisSource; prefix?: string | undefined; workerTtlMs?: number | undefined }): Promise<LiveCheck> {
  const prefix = options.prefix ?? DEFAULTS.prefix;
  const ttl = options.workerTtlMs ?? DEFAULTS.workerTtlMs;
  const redis = openConnection(options.redis, { name: 'tw-check' });
  // Failures reach the caller through the commands' rejections, not as an unhandled event.
  redis.on('error', () => undefined);
  try {
    const views = new QueueViewStore(redis);
    const registry = new WorkerRegistry(redis);
    const now = await views.now();
    const infos = new Map<string, WorkerInfo[]>();
    // A partitioned queue's workers serve all its partitions: its partition 0 speaks for it.
    const partitionsOf = new Map([...routes.values()].map((r) => [r.queue, r.partitions]));
    const keysOf = (queue: string) => queueKeys(prefix, queue, partitionsOf.get(queue) === undefined ? undefined : 0);
    for (const queue of partitionsOf.keys()) {
      const k = keysOf(queue);
      const alive = (await views.heartbeats(k)).filter((b) => b.at >= now - ttl);
      const records = await registry.read(k, alive.map((b) => b.id));
      infos.set(queue, records.flatMap((raw) => (raw ? [decodeWorkerInfo(raw)].filter((i): i is WorkerInfo => i !== undefined) : [])));
    }
    const tasks: LiveTaskCheck[] = [];
    for (const route of routes.values()) {
      const k = keysOf(route.queue);
      const mine = routeView(route);
      const served = infos.get(route.queue) ?? [];
      if (served.length === 0) {
        const problem: CallProblem = { task: route.path, field: 'queue', reason: `no live worker serves queue ${route.queue}`, runtime: 'NO_WORKERS' };
        tasks.push({ task: route.path, queue: route.queue, verdict: 'breaking', versions: [{ workers: 0, fingerprint: null, verdict: 'breaking', problems: [problem], notes: [] }] });
        continue;
      }
      // Workers with the same entry for this task are one version of it.
      const groups = new Map<string, { workers: number; entry: WorkerInfo['tasks'][number] | undefined }>();
      for (const info of served) {
        const entry = info.tasks.find((t) => t.path === route.path);
        const key = entry ? `${entry.digest ?? ''}@${entry.fingerprint}` : '-';
        const g = groups.get(key) ?? { workers: 0, entry };
        g.workers++;
        groups.set(key, g);
      }
      const digests = [...groups.values()].flatMap((g) => (g.entry?.digest ? [g.entry.digest] : []));
      const records = await registry.readSchemas(k, digests);
      const byDigest = new Map(digests.map((d, i) => [d, records[i] ? decodeTaskSchema(records[i] ?? '') : undefined]));
      const versions: LiveVersionCheck[] = [];
      for (const { workers, entry } of groups.values()) {
        const fingerprint = entry?.fingerprint ?? null;
        const theirs = entry?.digest ? byDigest.get(entry.digest) : undefined;
        if (entry && !theirs) {
          // An older worker (or an expired record): equal fingerprints are the one thing known.
          const same = entry.fingerprint === route.fingerprint;
          versions.push({ workers, fingerprint, verdict: same ? 'safe' : 'unknown', problems: [], notes: same ? [] : ['no schema record: the worker is older or its record expired'] });
          continue;
        }
        const c = checkCaller(mine, theirs);
        versions.push({ workers, fingerprint, verdict: c.problems.length > 0 ? 'breaking' : 'safe', problems: c.problems, notes: c.notes.map((n) => `${n.field}: ${n.note}`) });
      }
      tasks.push({ task: route.path, queue: route.queue, verdict: worst(versions), versions });
    }
    return { ok: tasks.every((t) => t.verdict === 'safe'), tasks };
  } finally {
    await closeConnection(redis);
  }
}
