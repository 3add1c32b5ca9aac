import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createClient, createWorker, router, task } from '../src/index.js';
import { runInFlight } from './load.js';
import type { BenchSizes } from './options.js';
import { median } from './stats.js';

/**
 * What each workflow feature costs (docs/WORKFLOWS.md), measured in the same run as the main
 * bench: calls/s of one call shape at `inFlight`, against the plain call of the same process.
 * Client and worker share this process: the figures compare features with each other, not with
 * the main matrix. A follow-up or a child is a second call, so those halve the ceiling at best.
 */
export interface WorkflowResults {
  inFlight: number;
  features: Array<{ feature: string; callsPerSec: number; vsPlain: number }>;
}

const N = z.object({ n: z.number() });
const contract = router({
  plain: task({ input: N, output: N, queue: 'wf' }),
  reporting: task({ input: N, output: N, progress: z.number(), queue: 'wf' }),
  parent: task({ input: N, output: N, queue: 'wf' }),
  // Children on a queue of their own, served by a worker of their own: a parent holding every
  // slot of the worker its children need would wait for them until its deadline.
  child: task({ input: N, output: N, queue: 'wf-child' }),
  sink: task({ input: N, output: z.null(), queue: 'wf' }),
});

export async function measureWorkflows(ctx: { url: string; sizes: BenchSizes; log: (line: string) => void }): Promise<WorkflowResults> {
  const { url, sizes, log } = ctx;
  const prefix = `bench-wf-${randomBytes(4).toString('hex')}`;
  const worker = createWorker(
    contract,
    {
      plain: (input) => input,
      reporting: (input, c) => {
        c.progress(1);
        return input;
      },
      parent: (input, c) => c.client.child(input),
      child: (input) => input,
      sink: () => null,
    },
    { redis: url, prefix, concurrency: 200, queues: ['wf'], logger: { warn: () => undefined, error: (m) => log(m) } },
  );
  const childWorker = createWorker(contract, { plain: (i) => i, reporting: (i) => i, parent: (i) => i, child: (i) => i, sink: () => null }, {
    redis: url,
    prefix,
    concurrency: 200,
    queues: ['wf-child'],
    logger: { warn: () => undefined, error: (m) => log(m) },
  });
  await Promise.all([worker.start(), childWorker.start()]);
  const client = createClient(contract, { redis: url, prefix });
  const observer = createClient(contract, { redis: url, prefix });
  const inFlight = 1_000;
  const features: WorkflowResults['features'] = [];
  const measure = async (feature: string, call: () => Promise<unknown>) => {
    const reps: number[] = [];
    for (let r = 0; r < sizes.reps; r++) reps.push((await runInFlight(call, inFlight, sizes.warmupMs, sizes.windowMs)).callsPerSec);
    const callsPerSec = median(reps);
    features.push({ feature, callsPerSec, vsPlain: callsPerSec / (features[0]?.callsPerSec ?? callsPerSec) });
    log(`workflows: ${feature}: ${Math.round(callsPerSec)} calls/s`);
  };
  const input = { n: 1 };
  try {
    await measure('plain call', () => client.plain(input));
    await measure('task declaring progress, caller not listening', () => client.reporting(input));
    await measure('1 progress report per call to onProgress', () => client.reporting(input, { onProgress: () => undefined }));
    await measure('then: a follow-up per call (2 calls each)', () => client.plain(input, { then: 'sink' }));
    await measure('1 child call per call via ctx.client (2 calls each)', () => client.parent(input));
    await measure('send() + result() (detached)', async () => (await client.plain.send(input)).result());
    const events = observer.$events('plain');
    await events.ready;
    // Drained as they come, as a real observer would.
    const drain = (async () => {
      for await (const _ of events) void _;
    })();
    await measure('watched by $events (1 listener)', () => client.plain(input));
    await events.close();
    await drain;
    return { inFlight, features };
  } finally {
    await observer.$close();
    await client.$close();
    await Promise.all([worker.close({ drainTimeoutMs: 1_000 }), childWorker.close({ drainTimeoutMs: 1_000 })]);
  }
}
