import { z } from 'zod';
import { router, task } from '../src/contract/index.js';

/**
 * The `--cluster` bench's contract: the same job as bench/workload.ts (`{ data, spin }` in,
 * `{ n, h }` out) on several queues, one task per queue. A queue lives on one shard, so a load
 * spreads over the shards of a Cluster over several queues, or over the K partitions of one
 * (`partitions`, docs/PARTITIONS.md).
 */
const input = z.object({ data: z.string(), spin: z.number().int().min(0) });
const output = z.object({ n: z.number().int(), h: z.number().int() });

/** Task `<queue>` on queue `<queue>`, for each name. */
export function clusterContract(queues: readonly string[], partitions?: number) {
  return router(Object.fromEntries(queues.map((queue) => [queue, task({ input, output, queue, ...(partitions ? { partitions } : {}) })])));
}
