import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';
import type { Handlers, TaskContext } from '../../../src/index.js';

/**
 * The contract every fault test serves. `work` answers a value derived from its input, so the
 * accounting can tell a right result from a wrong one; `poison` kills the process running it.
 */
export const faultContract = router({
  work: task({
    input: z.object({ id: z.string(), n: z.number().int(), ms: z.number().int().min(0) }),
    output: z.object({ id: z.string(), double: z.number() }),
  }),
  poison: task({ input: z.object({ id: z.string() }), output: z.null() }),
  /** A parent: `work` children, `children` of them, `concurrency` at a time, through ctx.client. */
  fanOut: task({
    input: z.object({
      id: z.string(),
      children: z.number().int().min(0),
      concurrency: z.number().int().min(1),
      ms: z.number().int().min(0),
      /** Children [from, to) take `ms` this long instead: still running when the parent is retried. */
      slow: z.object({ from: z.number().int(), to: z.number().int(), ms: z.number().int().min(0) }).optional(),
    }),
    output: z.object({ id: z.string(), sum: z.number() }),
    queue: 'parents',
  }),
});

/** The result `work` must return for an input: what the accounting checks against. */
export function expectedWork(input: { id: string; n: number }): { id: string; double: number } {
  return { id: input.id, double: input.n * 2 };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Handlers that record every run (before doing anything else, so a run cut short by a crash
 * still counts) through `record`. In a worker process `record` appends to a run log file.
 */
export function faultHandlers(record: (id: string, ctx: TaskContext) => void): Handlers<typeof faultContract> {
  return {
    work: async (input, ctx) => {
      record(input.id, ctx);
      await sleep(input.ms, ctx.signal);
      return expectedWork(input);
    },
    fanOut: async ({ id, children, concurrency, ms, slow }, ctx) => {
      record(id, ctx);
      const inputs = Array.from({ length: children }, (_, i) => ({ id: `${id}-${i}`, n: i, ms: slow && i >= slow.from && i < slow.to ? slow.ms : ms }));
      const outputs = await ctx.client.work.map(inputs, { concurrency });
      return { id, sum: outputs.reduce((a, o) => a + o.double, 0) };
    },
    poison: ({ id }, ctx) => {
      record(id, ctx);
      // A crash the process cannot catch or clean up after, like a segfault in a native module.
      process.kill(process.pid, 'SIGKILL');
      return null;
    },
  };
}

/**
 * A run log line: `<pid> <call input id> <taskwire call id>` (the call id names the call's reply
 * key). Small O_APPEND writes from several processes do not interleave.
 */
export function appendRun(file: string, id: string, callId: string): void {
  appendFileSync(file, `${process.pid} ${id} ${callId}\n`);
}
