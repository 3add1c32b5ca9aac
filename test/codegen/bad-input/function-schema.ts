import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

export const contract = router({
  hooks: task({ input: z.object({ options: z.object({ onDone: z.function() }) }), output: z.null() }),
});
