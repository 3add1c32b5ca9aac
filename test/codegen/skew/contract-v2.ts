import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

/** The worker's newer contract: compatible and incompatible changes side by side. */
export const contract = router({
  users: router({
    // Compatible: a new optional input field and a new output field.
    get: task({
      input: z.object({ id: z.string(), includeEmail: z.boolean().optional() }),
      output: z.object({ id: z.string(), name: z.string(), age: z.number(), email: z.string().optional() }),
    }),
    // Incompatible input: a new required field the old client never sends.
    rename: task({ input: z.object({ id: z.string(), name: z.string(), reason: z.string() }), output: z.object({ ok: z.boolean() }) }),
    // Incompatible output: an array of strings became an array of objects.
    find: task({ input: z.object({ query: z.string() }), output: z.array(z.object({ id: z.string() })) }),
  }),
  // Compatible: a task the old client does not know.
  audit: task({ input: z.object({}), output: z.number() }),
});
