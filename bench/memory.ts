import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Child, startWorkers, stopAll, type Message } from './children.js';
import { BASE_PAYLOAD_BYTES, WORKER_CONCURRENCY, type BenchSizes } from './options.js';
import type { ClientMemory, RedisMemory } from './results.js';
import { SYSTEMS } from './systems/index.js';
import { payload } from './workload.js';

export interface MemoryContext {
  url: string;
  admin: Redis;
  sizes: BenchSizes;
  log: (line: string) => void;
}

const namespace = () => `bench-mem-${randomBytes(4).toString('hex')}`;

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m?.[1]) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** INFO used_memory delta with `redisQueued` calls of the base payload queued and no worker. */
export async function measureRedisMemory(ctx: MemoryContext): Promise<RedisMemory[]> {
  const out: RedisMemory[] = [];
  const input = { data: payload(BASE_PAYLOAD_BYTES), spin: 0 };
  for (const system of SYSTEMS) {
    await ctx.admin.flushall();
    const endpoint = { url: ctx.url, namespace: namespace() };
    const before = await usedMemory(ctx.admin);
    await system.enqueueOnly(endpoint, input, ctx.sizes.redisQueued);
    const after = await usedMemory(ctx.admin);
    const bytesPerCall = (after - before) / ctx.sizes.redisQueued;
    ctx.log(`redis memory: ${system.name} ${Math.round(bytesPerCall)} bytes per queued call`);
    out.push({ system: system.name, queued: ctx.sizes.redisQueued, bytesPerCall });
  }
  await ctx.admin.flushall();
  return out;
}

/** Client RSS with calls in flight and heap growth over many calls, in a process of its own. */
export async function measureClientMemory(ctx: MemoryContext, replyMode: 'key' | 'pubsub'): Promise<ClientMemory> {
  const { sizes } = ctx;
  const endpoint = { url: ctx.url, namespace: namespace() };
  const probe = new Child(
    'memory-client',
    [ctx.url, endpoint.namespace, replyMode, String(sizes.memInFlight), String(sizes.heapCheckpoint), String(sizes.heapTotal)],
    ['--expose-gc'],
  );
  try {
    const a = await probe.next<Message & { baselineRssMb: number; inFlightRssMb: number; inFlightHeapMb: number; inFlightLiveHeapMb: number }>(
      'in-flight',
    );
    ctx.log(
      `client memory (${replyMode}): RSS ${a.baselineRssMb.toFixed(1)} MB idle, ${a.inFlightRssMb.toFixed(1)} MB with ${sizes.memInFlight} in flight ` +
        `(heap ${a.inFlightHeapMb.toFixed(1)} MB, ${a.inFlightLiveHeapMb.toFixed(1)} MB live)`,
    );
    const workers = await startWorkers('taskwire', endpoint, 1, WORKER_CONCURRENCY);
    try {
      probe.send({ type: 'go' });
      const h = await probe.next<Message & { heapAtCheckpointMb: number; heapAtTotalMb: number; rssAtTotalMb: number; callsPerSec: number }>('heap');
      const heapGrowth = (h.heapAtTotalMb - h.heapAtCheckpointMb) / h.heapAtCheckpointMb;
      ctx.log(
        `client memory (${replyMode}): heap ${h.heapAtCheckpointMb.toFixed(2)} MB after ${sizes.heapCheckpoint} calls, ` +
          `${h.heapAtTotalMb.toFixed(2)} MB after ${sizes.heapTotal} (${(heapGrowth * 100).toFixed(1)}%), ${Math.round(h.callsPerSec)} calls/s`,
      );
      return {
        replyMode,
        baselineRssMb: a.baselineRssMb,
        inFlight: sizes.memInFlight,
        inFlightRssMb: a.inFlightRssMb,
        inFlightHeapMb: a.inFlightHeapMb,
        inFlightLiveHeapMb: a.inFlightLiveHeapMb,
        checkpointCalls: sizes.heapCheckpoint,
        heapAtCheckpointMb: h.heapAtCheckpointMb,
        totalCalls: sizes.heapTotal,
        heapAtTotalMb: h.heapAtTotalMb,
        heapGrowth,
        rssAtTotalMb: h.rssAtTotalMb,
      };
    } finally {
      await stopAll(workers);
    }
  } finally {
    await probe.stop();
    await ctx.admin.flushall();
  }
}
