import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { decodeReply } from '../../src/wire/envelope.js';
import { spawnTsx } from './support/child-process.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { OK_TIMEOUT_MS, type LeakClientConfig, type LeakClientHeap, type LeakClientOutcomes } from './support/leak-calls.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const CLIENT_ENTRY = fileURLToPath(new URL('./support/leak-client-process.ts', import.meta.url));
const CALLS = 10_000;
/**
 * Heap growth allowed over 10,000 calls: ~100 bytes a call. Anything a settled call left behind
 * (its pending entry, envelope string, timer or listener closure, a map entry keyed by its id)
 * weighs several hundred bytes, so a leak of any of them over all calls breaks it.
 */
const HEAP_BOUND_BYTES = 1024 * 1024;

/** Runs the client side of the test alone in a process started with --expose-gc. */
async function runLeakClient(config: LeakClientConfig, boundMs: number): Promise<Omit<LeakClientOutcomes, 'type'> & Omit<LeakClientHeap, 'type'>> {
  const { child, exited, stderr } = spawnTsx(CLIENT_ENTRY, { TW_LEAK_CLIENT: JSON.stringify(config) }, ['--expose-gc']);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`leak client gave no result within ${boundMs} ms:\n${stderr()}`));
    }, boundMs);
    let outcomes: LeakClientOutcomes | undefined;
    child.on('message', (m: LeakClientOutcomes | LeakClientHeap) => {
      if (m.type === 'outcomes') outcomes = m;
      else if (outcomes) {
        clearTimeout(timer);
        resolve({ ...outcomes, ...m });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`leak client exited (code ${code}, signal ${signal}) before its result:\n${stderr()}`));
    });
  });
}

/** Every key under the prefix, with its type and PTTL (-1: none). */
async function keysLeft(e: FaultEnv): Promise<Array<{ key: string; type: string; pttl: number }>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await e.redis.scan(cursor, 'MATCH', `${e.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const pipe = e.redis.pipeline();
  for (const k of keys) pipe.type(k).pttl(k);
  const res = (await pipe.exec()) ?? [];
  return keys.map((key, i) => ({ key, type: String(res[2 * i]?.[1]), pttl: Number(res[2 * i + 1]?.[1]) }));
}

it('leaks no listener, timer, pending call, reply or heap across 10,000 calls of which half time out or are aborted', { timeout: 40_000 }, async () => {
  const e = (env = await faultEnv(redis.server.url));
  const worker = await e.worker({ options: { concurrency: 64, maintenanceIntervalMs: 200, queues: ['default'] } });
  // 5,000 warm-up calls: after 2,000 the heap still grew by ~400 KB over the next 10,000 calls
  // and ~700 KB over 30,000 (code settling, not a per-call cost); after 5,000, by ~240 KB and
  // ~130 KB.
  const r = await runLeakClient({ url: e.url, prefix: e.prefix, warmupCalls: 5_000, calls: CALLS, wave: 500, wavePauseMs: 50, quietMs: 500 }, 30_000);
  // Handlers of calls that timed out may still be running (1 s each): their leases are rightly
  // there until they end. What is left is looked at once the worker is idle.
  await expect.poll(async () => (await worker.probe()).running, { timeout: 10_000 }).toBe(0);
  const probe = await worker.probe();

  // Which calls a handler started, by input id and by call id (replies are filed under the latter).
  const ran = e.log.runs();
  const ranCallIds = e.log.callIds();
  const split = (ids: string[] = []) => ({ total: ids.length, ran: ids.filter((id) => ran.has(id)).length, neverRan: ids.filter((id) => !ran.has(id)).length });
  const outcomes = Object.fromEntries(Object.entries(r.outcomes).map(([code, ids]) => [code, split(ids)]));

  // What is left in Redis, and why. Queue structures live as long as the queue: the worker
  // registry, the token counter, and cancelled ids (each pruned at its call's deadline). Per-call
  // keys must all expire on their own: enqueue markers (at the call's deadline); the running
  // worker's info record (workerTtlMs after its last maintenance tick); the client's
  // replies hash and inbox list (replies written after it closed: replyTtlMs and 5 min after
  // their last write). Nothing else may remain: no waiting, leased, delayed or dead call, no
  // delivery count, no reply key.
  const now = Date.now();
  const left = await keysLeft(e);
  const k = e.keys;
  const structures = new Set([k.workers, k.seq, k.cancelled]);
  // `schema:<digest>`: a worker's contract version (docs/PROTOCOL.md), one per task version, with a TTL.
  // `leases:<worker>`: a live worker's record of its leases (maintain-11.lua), with a TTL.
  const perClientOrCall = [`${k.base}:enq:`, `${k.base}:replies:`, `${k.base}:inbox:`, `${k.base}:worker:`, `${k.base}:schema:`, `${k.base}:leases:`];
  const remaining: Record<string, { count: number; minPttl: number; maxPttl: number }> = {};
  const problems: string[] = [];
  const repliesLeft: Record<string, number> = {};
  for (const { key, type, pttl } of left) {
    const group = structures.has(key) ? key.slice(k.base.length + 1) : perClientOrCall.find((p) => key.startsWith(p))?.slice(k.base.length + 1, -1);
    if (group === undefined) {
      problems.push(`unexpected key ${key} (${type})`);
      continue;
    }
    const g = (remaining[group] ??= { count: 0, minPttl: Infinity, maxPttl: -Infinity });
    g.count++;
    g.minPttl = Math.min(g.minPttl, pttl);
    g.maxPttl = Math.max(g.maxPttl, pttl);
    if (structures.has(key)) continue;
    if (pttl === -1) problems.push(`${key} has no TTL`);
    if (group === 'replies') {
      for (const [callId, raw] of Object.entries(await e.redis.hgetall(key))) {
        const inputId = ranCallIds.get(callId);
        if (inputId === undefined) problems.push(`reply of a call no handler started: ${key} ${callId}`);
        const reply = decodeReply(raw);
        const what = `${inputId?.replace(/-\d+$/, '') ?? '?'} → ${reply.ok ? (reply.value.ok ? 'ok' : reply.value.error.code) : 'unreadable'}`;
        repliesLeft[what] = (repliesLeft[what] ?? 0) + 1;
      }
    }
  }
  // Replies as written (the tap sees each field a script writes to a replies hash and each
  // PUBLISH), including those the client's inbox loop read and deleted after their caller had
  // given up.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const replied = [...e.tap.callIds()];
  const repliedWithoutRun = replied.filter((id) => !ranCallIds.has(id));
  const cancelled = await e.redis.zrange(k.cancelled, 0, -1, 'WITHSCORES');
  const cancelledLatestDeadline = Math.max(0, ...cancelled.filter((_, i) => i % 2 === 1).map(Number));

  const heapGrowthBytes = r.after.heapUsedBytes - r.baseline.heapUsedBytes;
  figure('leaks', {
    calls: CALLS,
    runMs: r.runMs,
    outcomes,
    heap: {
      baselineMb: +(r.baseline.heapUsedBytes / 2 ** 20).toFixed(2),
      peakMb: +(r.peakHeapUsedBytes / 2 ** 20).toFixed(2),
      afterMb: +(r.after.heapUsedBytes / 2 ** 20).toFixed(2),
      growthKb: +(heapGrowthBytes / 1024).toFixed(1),
      boundKb: HEAP_BOUND_BYTES / 1024,
    },
    timers: { baseline: r.baseline.timers, after: r.after.timers },
    pending: r.after.pending,
    listeners: { shared: r.sharedSignalListeners, perCall: r.perCallSignalListeners },
    maxTimeoutLateMs: r.maxTimeoutLateMs,
    maxCancelLatencyMs: r.maxCancelLatencyMs,
    eventLoopDelayMs: r.eventLoopDelayMs,
    keysLeft: remaining,
    repliesLeft,
    replies: { ...e.tap.summary(), withoutRun: repliedWithoutRun.length },
    cancelledIds: cancelled.length / 2,
    worker: { running: probe.running, ...probe.stats },
  });

  // Every call settled the way its kind demands.
  expect(Object.keys(r.outcomes).sort()).toEqual(['CANCELLED', 'TIMEOUT', 'ok']);
  expect(r.outcomes['ok']).toHaveLength(CALLS / 2);
  expect(r.outcomes['CANCELLED']).toHaveLength(CALLS / 4);
  expect(r.outcomes['TIMEOUT']).toHaveLength(CALLS / 4);
  // Both ways of timing out and of being aborted happened: queued, and while running.
  // (The split varies with the machine's speed: 47–714 of each ran in the runs measured.)
  for (const code of ['TIMEOUT', 'CANCELLED']) {
    expect(outcomes[code]?.ran, `${code} while running`).toBeGreaterThanOrEqual(10);
    expect(outcomes[code]?.neverRan, `${code} while queued`).toBeGreaterThanOrEqual(10);
  }
  // Deadlines kept: a TIMEOUT is late only by as much as the client's event loop was.
  expect(r.maxTimeoutLateMs).toBeLessThanOrEqual(r.eventLoopDelayMs.max + 100);
  // Nothing left behind in the client process.
  expect(r.after.pending).toBe(0);
  expect(r.sharedSignalListeners).toBe(0);
  expect(r.perCallSignalListeners).toBe(0);
  expect(r.after.timers).toBeLessThanOrEqual(r.baseline.timers);
  expect(heapGrowthBytes).toBeLessThan(HEAP_BOUND_BYTES);
  // Nor in Redis, nor in the worker. A call that never ran was never answered, so no reply was
  // ever written for it; calls that ran were answered once.
  expect(problems.slice(0, 20)).toEqual([]);
  expect(repliedWithoutRun.slice(0, 20)).toEqual([]);
  expect(e.tap.summary().duplicates).toBe(0);
  // The tap saw the replies (at least the successful ones), or the two checks above say nothing.
  expect(e.tap.summary().replies).toBeGreaterThanOrEqual(CALLS / 2);
  expect(remaining['workers']?.count).toBe(1);
  expect(remaining['worker']?.count).toBe(1);
  expect(cancelledLatestDeadline).toBeLessThanOrEqual(now + OK_TIMEOUT_MS);
  expect(remaining['enq']?.maxPttl ?? 0).toBeLessThanOrEqual(OK_TIMEOUT_MS);
  expect(probe.running).toBe(0);
});
