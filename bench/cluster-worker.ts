import { createWorker, type RedisSource } from '../src/index.js';
import { clusterContract } from './cluster-workload.js';
import { handledCount, work } from './workload.js';

/**
 * Child-process entry of `--cluster`: one taskwire worker serving every queue of the run.
 * argv: <redis source as JSON> <prefix> <queues, comma-separated> <concurrency>. Says
 * {type:'ready'}, answers {type:'count'}, closes on {type:'stop'} (as bench/worker-process.ts).
 */
const [source, prefix, queueList, concurrency, partitions] = process.argv.slice(2);
if (!source || !prefix || !queueList || !concurrency) {
  console.error('usage: cluster-worker <redis source JSON> <prefix> <q1,q2,...> <concurrency>');
  process.exit(2);
}
const redis = JSON.parse(source) as RedisSource;
const queues = queueList.split(',');
const handlers = Object.fromEntries(queues.map((q) => [q, work]));
const logger = { warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
const worker = createWorker(clusterContract(queues, partitions ? Number(partitions) : undefined), handlers, { redis, prefix, concurrency: Number(concurrency), logger });
await worker.start();
process.on('message', (message: { type?: string }) => {
  if (message.type === 'count') process.send?.({ type: 'count', handled: handledCount() });
  if (message.type !== 'stop') return;
  void worker.close({ drainTimeoutMs: 2000 }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('worker close failed:', err);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
