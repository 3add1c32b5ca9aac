import { Redis } from 'ioredis';
import { createClient, type ReplyMode } from '../src/index.js';
import { queueKeys } from '../src/wire/keys.js';
import { CALL_TIMEOUT_MS } from './systems/system.js';
import { BASE_PAYLOAD_BYTES } from './options.js';
import { benchContract, payload, QUEUE, type WorkInput } from './workload.js';

/**
 * Child-process entry (run with --expose-gc) that weighs one taskwire client, alone in its
 * process. argv: <redis url> <prefix> <key|pubsub> <in flight> <checkpoint calls> <total calls>.
 * 1. Holds <in flight> calls pending while no worker runs, reads RSS and heap, says
 *    {type:'in-flight'} and waits for {type:'go'} (the parent starts a worker meanwhile).
 * 2. Runs calls 1,000 at a time to <checkpoint>, then to <total>; reads the heap after a forced
 *    GC at both points, with nothing pending, and says {type:'heap'}.
 */
const [url, prefix, mode, inFlightArg, checkpointArg, totalArg] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!url || !prefix || (mode !== 'key' && mode !== 'pubsub') || !inFlightArg || !checkpointArg || !totalArg || !gc) {
  console.error('usage: node --expose-gc memory-client <url> <prefix> <key|pubsub> <inFlight> <checkpoint> <total>');
  process.exit(2);
}
const replyMode: ReplyMode = mode;
const inFlight = Number(inFlightArg);
const checkpoint = Number(checkpointArg);
const total = Number(totalArg);
const mb = (bytes: number) => bytes / 2 ** 20;
const input: WorkInput = { data: payload(BASE_PAYLOAD_BYTES), spin: 0 };

function gcHeapMb(): number {
  // Two passes: the first may only schedule finalisers of what the second frees.
  gc?.();
  gc?.();
  return mb(process.memoryUsage().heapUsed);
}

function message(type: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: { type?: string }) => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
  });
}

const client = createClient(benchContract, { redis: url, prefix, replyMode, noWorkers: 'wait' });
const baselineRssMb = mb(process.memoryUsage().rss);

// 1. Calls in flight: queued in Redis, pending in the client.
const go = message('go');
const pending = Array.from({ length: inFlight }, () => client.work(input, { timeoutMs: CALL_TIMEOUT_MS }));
const probe = new Redis(url);
while ((await probe.llen(queueKeys(prefix, QUEUE).wait)) < inFlight) await new Promise((r) => setTimeout(r, 10));
probe.disconnect();
const inFlightRssMb = mb(process.memoryUsage().rss);
const inFlightHeapMb = mb(process.memoryUsage().heapUsed);
const inFlightLiveHeapMb = gcHeapMb();
process.send?.({ type: 'in-flight', baselineRssMb, inFlight, inFlightRssMb, inFlightHeapMb, inFlightLiveHeapMb, pending: client.$pending });
await go;
await Promise.all(pending);

// 2. Heap after many calls: a leak of even a few bytes per call shows at a million.
async function runCalls(count: number): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      const out = await client.work(input, { timeoutMs: CALL_TIMEOUT_MS });
      if (out.n !== input.data.length) throw new Error('wrong answer');
    }
  };
  await Promise.all(Array.from({ length: Math.min(1000, count) }, lane));
}
await runCalls(checkpoint);
const heapAtCheckpointMb = gcHeapMb();
const t0 = performance.now();
await runCalls(total - checkpoint);
const seconds = (performance.now() - t0) / 1000;
const heapAtTotalMb = gcHeapMb();
process.send?.({
  type: 'heap',
  checkpointCalls: checkpoint,
  heapAtCheckpointMb,
  totalCalls: total,
  heapAtTotalMb,
  rssAtTotalMb: mb(process.memoryUsage().rss),
  callsPerSec: (total - checkpoint) / seconds,
});
await client.$close();
process.exit(0);
