import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

export const contract = router({
  parse: task({ input: z.string(), output: z.object({ n: z.string().transform((s) => Number(s)) }) }),
});
