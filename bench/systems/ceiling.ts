import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { work, type WorkInput, type WorkOutput } from '../workload.js';
import { CALL_TIMEOUT_MS, type BenchClient, type BenchWorker, type Endpoint, type System } from './system.js';

/**
 * The ceiling: the least a list-based RPC over Redis can do. Calls are RPUSHed as
 * `[id, replyList, input]`; a worker pops up to its free slots with one BLMPOP, runs them and
 * RPUSHes every reply of a tick to each caller's reply list in one command; one blocking pop per
 * client drains its replies. No leases, no validation, no deadlines in Redis, no retries: a crash
 * loses calls. Whatever taskwire costs above this is the price of its guarantees.
 */

const queueKey = (ns: string) => `${ns}:ceiling:queue`;

type Request = [id: string, replyTo: string, input: WorkInput];
type Response = [id: string, output: WorkOutput];

export const ceilingSystem: System = {
  name: 'ceiling',
  label: 'list RPC ceiling',
  worker: 'ceiling',
  async connect({ url, namespace }: Endpoint): Promise<BenchClient> {
    const commands = new Redis(url, { enableAutoPipelining: true });
    const blocking = new Redis(url);
    const replyTo = `${namespace}:ceiling:reply:${randomUUID()}`;
    const pending = new Map<string, { resolve: (out: WorkOutput) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
    let closed = false;
    const loop = (async () => {
      while (!closed) {
        const res = (await blocking.call('BLMPOP', 1, 1, replyTo, 'LEFT', 'COUNT', 1000).catch(() => null)) as [string, string[]] | null;
        for (const raw of res?.[1] ?? []) {
          const [id, output] = JSON.parse(raw) as Response;
          const p = pending.get(id);
          if (!p) continue;
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve(output);
        }
      }
    })();
    let seq = 0;
    return {
      call(input) {
        const id = String(++seq);
        return new Promise<WorkOutput>((resolve, reject) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`ceiling call ${id} timed out`));
          }, CALL_TIMEOUT_MS);
          pending.set(id, { resolve, reject, timer });
          const request: Request = [id, replyTo, input];
          commands.rpush(queueKey(namespace), JSON.stringify(request)).catch((err: Error) => reject(err));
        });
      },
      async close() {
        closed = true;
        blocking.disconnect();
        await loop;
        for (const p of pending.values()) clearTimeout(p.timer);
        await commands.quit();
      },
    };
  },
  async enqueueOnly({ url, namespace }: Endpoint, input, count): Promise<void> {
    const redis = new Redis(url, { enableAutoPipelining: true });
    const replyTo = `${namespace}:ceiling:reply:${randomUUID()}`;
    await Promise.all(Array.from({ length: count }, (_, i) => redis.rpush(queueKey(namespace), JSON.stringify([String(i), replyTo, input]))));
    await redis.quit();
  },
};

export async function startCeilingWorker({ url, namespace }: Endpoint, concurrency: number): Promise<BenchWorker> {
  const blocking = new Redis(url);
  const commands = new Redis(url, { enableAutoPipelining: true });
  let free = concurrency;
  let wake: (() => void) | undefined;
  let stopped = false;
  const replies = new Map<string, string[]>();
  let flushing = false;

  const flush = () => {
    flushing = false;
    for (const [replyTo, list] of replies) commands.rpush(replyTo, ...list).catch((err: Error) => console.error('ceiling reply:', err.message));
    replies.clear();
  };
  const run = async (raw: string) => {
    const [id, replyTo, input] = JSON.parse(raw) as Request;
    // Awaited like any handler, so an async handler would cost the ceiling what it costs the others.
    const response: Response = [id, await work(input)];
    let list = replies.get(replyTo);
    if (!list) replies.set(replyTo, (list = []));
    list.push(JSON.stringify(response));
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
    free++;
    wake?.();
  };
  const loop = (async () => {
    while (!stopped) {
      if (free === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const res = (await blocking.call('BLMPOP', 1, 1, queueKey(namespace), 'LEFT', 'COUNT', free).catch(() => null)) as [string, string[]] | null;
      for (const raw of res?.[1] ?? []) {
        free--;
        void run(raw);
      }
    }
  })();
  return {
    async close() {
      stopped = true;
      wake?.();
      blocking.disconnect();
      await loop;
      flush();
      await commands.quit();
    },
  };
}
