import { afterEach, expect, it } from 'vitest';
import { schedulingEnv } from './support.js';

let env: ReturnType<typeof schedulingEnv> | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

it("takes from each of a worker's queues fairly: a flooded queue does not hold every slot while another has work", async () => {
  env = schedulingEnv({ worker: { concurrency: 4 } });
  const e = env;
  // 200 calls of 50 ms on one queue, then 20 on the other.
  const flood = Array.from({ length: 200 }, () => e.client.run({ tag: 'flood', ms: 50 }, { timeoutMs: 60_000 }));
  await e.worker.start();
  await new Promise((r) => setTimeout(r, 150));
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 20 }, (_, i) => e.client.other({ tag: `o${i}`, ms: 50 }, { timeoutMs: 60_000 })));
  const took = Date.now() - t0;
  // With half of the 4 slots: 20 calls x 50 ms / 2 = 500 ms. Behind the flood: 200 x 50 / 4 = 2.5 s.
  expect(took).toBeLessThan(1_200);
  await Promise.all(flood);
}, 30_000);
