import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compareContracts } from '../../src/contract/compatibility.js';
import { router, task } from '../../src/contract/index.js';
import { contractView, viewDigest } from '../../src/contract/task-view.js';

const obj = z.object({ a: z.string() });
const on = (partitions?: number) => contractView(router({ t: task({ input: obj, output: obj, queue: 'hot', ...(partitions ? { partitions } : {}) }) }));

/** Changing K moves calls: the classification docs/PARTITIONS.md documents, per direction. */
describe('a change of partitions in taskwire breaking', () => {
  it('more partitions breaks old workers (new partitions unserved); old callers run but lose per-key order across the change', () => {
    const [c] = compareContracts(on(3), on(4));
    expect(c).toMatchObject({ field: 'partitions', change: 'partitions 3 → 4', verdict: 'breaks-old-workers', oldWorkers: { runtime: 'NO_WORKERS' } });
    expect(c?.note).toMatch(/per-key order and idempotency do not hold/);
  });

  it('fewer partitions breaks old callers (calls to a partition nobody serves any more)', () => {
    const [c] = compareContracts(on(4), on(2));
    expect(c).toMatchObject({ field: 'partitions', verdict: 'breaks-old-callers', oldCallers: { runtime: 'NO_WORKERS' } });
  });

  it('partitioning a queue, or no longer, breaks both sides', () => {
    expect(compareContracts(on(), on(3))[0]).toMatchObject({ field: 'partitions', verdict: 'breaks-both' });
    expect(compareContracts(on(3), on())[0]).toMatchObject({ field: 'partitions', verdict: 'breaks-both' });
    expect(compareContracts(on(3), on(3))).toEqual([]);
  });

  it('leaves the views and digests of unpartitioned tasks as they were (partitions: 1 is no partitions)', () => {
    expect(on(1)[0]).not.toHaveProperty('partitions');
    expect(viewDigest(on(1)[0]!)).toBe(viewDigest(on()[0]!));
    expect(compareContracts(on(), on(1))).toEqual([]);
  });

  it('gives a task that declares none its queue\'s partitions', () => {
    const views = contractView(router({ a: task({ input: obj, output: obj, queue: 'hot', partitions: 3 }), b: task({ input: obj, output: obj, queue: 'hot' }) }));
    expect(views.map((v) => v.partitions)).toEqual([3, 3]);
  });
});
