/**
 * `tsx bench/signing.ts [reps]`: what signing costs a plain call (docs/SECURITY.md, *Signing*):
 * calls/s at 1,000 in flight with and without `signing`, client and worker in one process on a
 * private Redis, alternating, medians of `reps` windows of 3 s.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createClient, createWorker, router, task, type SigningOptions } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { runInFlight } from './load.js';
import { median } from './stats.js';
const contract = router({ plain: task({ input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) }) });
const server = await RedisServer.start();
const signing: SigningOptions = { keys: { k1: randomBytes(32).toString('hex') }, current: 'k1' };
const reps = Number(process.argv[2] ?? 5);
const results: Record<string, number[]> = { off: [], on: [] };
try {
  for (let r = 0; r < reps; r++) {
    for (const mode of ['off', 'on'] as const) {
      const prefix = `sig-${randomBytes(4).toString('hex')}`;
      const opts = mode === 'on' ? { signing } : {};
      const worker = createWorker(contract, { plain: (i) => i }, { redis: server.url, prefix, concurrency: 200, logger: { warn: () => undefined, error: () => undefined }, ...opts });
      await worker.start();
      const client = createClient(contract, { redis: server.url, prefix, ...opts });
      const res = await runInFlight(() => client.plain({ n: 1 }), 1000, 1000, 3000);
      results[mode]?.push(res.callsPerSec);
      await client.$close();
      await worker.close();
    }
  }
  const off = median(results['off'] ?? []), on = median(results['on'] ?? []);
  console.log(JSON.stringify({ reps, off: Math.round(off), on: Math.round(on), ratio: +(on / off).toFixed(3), raw: results }));
} finally {
  await server.stop();
}
