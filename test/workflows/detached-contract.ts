import { z } from 'zod';
import { router, task } from '../../src/index.js';

/** The contract of detached.test.ts, shared with the process it starts. */
export const detachedContract = router({
  report: task({
    input: z.object({ name: z.string(), fail: z.boolean().default(false), hold: z.boolean().default(false) }),
    output: z.object({ name: z.string(), at: z.date() }),
    errors: { EMPTY: z.object({ name: z.string() }) },
    queue: 'reports',
  }),
  other: task({ input: z.object({}), output: z.null(), queue: 'reports' }),
});
