import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis-server.js';
import { QueueStore, type Settlement } from '../src/transport/queue-store.js';
import { encodeCall, encodeReply } from '../src/wire/envelope.js';
import { queueKeys } from '../src/wire/keys.js';
import { median } from './stats.js';

/**
 * `tsx bench/scripts.ts [--batch 100] [--rounds 200] [--reps 5]`: the hot path's scripts timed
 * alone on one private Redis — enqueue (batched), take and complete of `--batch` calls at a time —
 * as Redis µs per call (INFO commandstats of EVALSHA), medians of `--reps`. Shows what a change to
 * a script costs or saves in Redis without the noise of a whole client and worker.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number((i >= 0 ? process.argv[i + 1] : undefined) ?? fallback);
}
const batch = arg('batch', 100);
const rounds = arg('rounds', 200);
const reps = arg('reps', 5);

const server = await RedisServer.start();
const redis = new Redis(server.url);
const store = new QueueStore(redis);
const k = queueKeys('bench', 'scripts');

async function evalUsec(): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1] ?? 0);
}

const input = { data: 'x'.repeat(100), n: 1 };
let seq = 0;
function envelope(): string {
  const id = `c${seq++}`;
  return encodeCall({ id, task: 'echo', input: { json: input }, reply: { mode: 'hash', client: 'client-1' }, deadline: Date.now() + 60_000, attempt: 1, sentAt: Date.now(), fp: 'abcdef0123' });
}
const phases = { enqueue: [] as number[], take: [] as number[], complete: [] as number[] };
await redis.zadd(k.workers, Date.now() + 3_600_000, 'w1');
for (let rep = 0; rep < reps; rep++) {
  const spent = { enqueue: 0, take: 0, complete: 0 };
  for (let r = 0; r < rounds; r++) {
    const raws = Array.from({ length: batch }, envelope);
    let t = await evalUsec();
    await store.enqueueBatch(k, { batchId: `b${rep}.${r}`, workerTtlMs: 3_600_000, sentTtlMs: 60_000, raws });
    let u = await evalUsec();
    spent.enqueue += u - t;
    const taken = await store.take(k, { max: batch, workerId: 'w1', leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 1000, suspects: { from: 3, mayTake: true } });
    t = await evalUsec();
    spent.take += t - u;
    const items: Settlement[] = taken.calls.map((c) => {
      const id = (JSON.parse(c.raw) as { id: string }).id;
      return { token: c.token, batch: c.batch, callId: id, action: 'h', to: 'client-1', payload: encodeReply({ id, ok: true, output: { json: input }, fp: 'abcdef0123' }), deadReason: '', idem: '', idemTtlMs: 0, input: '' };
    });
    u = await evalUsec();
    await store.complete(k, items, { inboxTtlMs: 300_000, deadMaxLen: 1000, replyTtlMs: 60_000, channelPrefix: 'bench:reply:' }, () => 'w');
    t = await evalUsec();
    spent.complete += t - u;
    await redis.del(`${k.base}:inbox:client-1`, `${k.base}:replies:client-1`);
  }
  for (const p of Object.keys(phases) as Array<keyof typeof phases>) phases[p].push(spent[p] / (rounds * batch));
}
const line = (Object.keys(phases) as Array<keyof typeof phases>).map((p) => `${p} ${median(phases[p]).toFixed(2)}`).join(', ');
console.log(`Redis µs per call (EVALSHA), batches of ${batch}, medians of ${reps}: ${line}, total ${(median(phases.enqueue) + median(phases.take) + median(phases.complete)).toFixed(2)}`);
await redis.quit();
await server.stop();
