import { z } from 'zod';
import { router, task } from '../../src/contract/index.js';
import type { Handlers } from '../../src/index.js';

/** What the observability tests call: a plain task, one that fails on demand, a parent with a child, a scheduled one. */
export const observedContract = router({
  add: task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number(), queue: 'obs' }),
  flaky: task({ input: z.object({ failFirst: z.number() }), output: z.string(), queue: 'obs', retry: { attempts: 2, backoffMs: 5 } }),
  declared: task({ input: z.object({}), output: z.null(), errors: { NOPE: z.object({}) }, queue: 'obs' }),
  parent: task({ input: z.object({ n: z.number() }), output: z.number(), queue: 'obs' }),
  tick: task({ input: z.object({}), output: z.null(), queue: 'obs' }),
  hold: task({ input: z.object({}), output: z.null(), queue: 'obs' }),
});

/** What the handlers count, and the gate `hold` waits on. */
export interface ObservedState {
  runs: number;
  ticks: number;
  gate?: Promise<void>;
}

/** Handlers; `flaky` fails its first `failFirst` runs overall, `hold` waits for the state's gate. */
export function observedHandlers(state: ObservedState): Handlers<typeof observedContract> {
  return {
    add: ({ a, b }) => a + b,
    flaky: ({ failFirst }) => {
      state.runs++;
      if (state.runs <= failFirst) throw new Error(`failing run ${state.runs}`);
      return 'ok';
    },
    declared: (_input, ctx) => {
      throw ctx.error('NOPE', {});
    },
    parent: async ({ n }, ctx) => (await ctx.client.add({ a: n, b: 1 })) * 2,
    tick: () => {
      state.ticks++;
      return null;
    },
    hold: async () => {
      await state.gate;
      return null;
    },
  };
}
