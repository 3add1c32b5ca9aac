/**
 * `tsx bench/durability.ts [--reps 5] [--seconds 3]`: what the durability option costs. One
 * primary and one replica (private redis-server processes on loopback), a worker and a client in
 * this process, 1,000 calls in flight of a task that does nothing; calls/s with durability off and
 * with `{ replicas: 1 }` in alternating reps of the same run, medians printed as JSON.
 * docs/SENTINEL.md quotes it.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createClient, createWorker, router, task, type DurabilityOptions } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, seconds: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
const seconds = Number(values.seconds);
const IN_FLIGHT = 1_000;
const contract = router({ noop: task({ input: z.object({ n: z.number() }), output: z.number() }) });
const quiet = { warn: () => undefined, error: () => undefined };

/** Calls/s over `seconds` with IN_FLIGHT callers each making one call after another (after a 1 s warm-up). */
async function rate(url: string, durability: DurabilityOptions | undefined, prefix: string): Promise<number> {
  const options = { redis: url, prefix, ...(durability ? { durability } : {}) };
  const worker = createWorker(contract, { noop: ({ n }) => n }, { ...options, logger: quiet, concurrency: IN_FLIGHT });
  await worker.start();
  const client = createClient(contract, options);
  let done = 0;
  let stop = false;
  const caller = async () => {
    for (let n = 0; !stop; n++) {
      await client.noop({ n });
      done++;
    }
  };
  const callers = Array.from({ length: IN_FLIGHT }, caller);
  await new Promise((r) => setTimeout(r, 1_000));
  const from = done;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1_000));
  const perSecond = ((done - from) * 1_000) / (performance.now() - start);
  stop = true;
  await Promise.all(callers);
  await client.$close();
  await worker.close();
  return Math.round(perSecond);
}

const primary = await RedisServer.start();
const replica = await RedisServer.start({ config: { replicaof: ['127.0.0.1', String(primary.port)] } });
try {
  while (!spawnSync('redis-cli', ['-p', String(primary.port), 'info', 'replication'], { encoding: 'utf8' }).stdout.includes('connected_slaves:1')) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < reps; i++) {
    off.push(await rate(primary.url, undefined, `bd-off-${i}`));
    on.push(await rate(primary.url, { replicas: 1, timeoutMs: 1_000 }, `bd-on-${i}`));
    console.error(`rep ${i + 1}/${reps}: off ${off.at(-1)} calls/s, on ${on.at(-1)} calls/s`);
  }
  const result = { inFlight: IN_FLIGHT, seconds, reps, off: { median: median(off), reps: off }, on: { median: median(on), reps: on }, onVsOff: Number((median(on) / median(off)).toFixed(3)) };
  console.log(JSON.stringify(result));
} finally {
  await Promise.all([replica.stop(), primary.stop()]);
}
