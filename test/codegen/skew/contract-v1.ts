import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

/** The contract a service generated its client from. */
export const contract = router({
  users: router({
    get: task({
      input: z.object({ id: z.string() }),
      output: z.object({ id: z.string(), name: z.string(), age: z.number() }),
    }),
    rename: task({ input: z.object({ id: z.string(), name: z.string() }), output: z.object({ ok: z.boolean() }) }),
    find: task({ input: z.object({ query: z.string() }), output: z.array(z.string()) }),
  }),
});
