import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

export const contract = router({
  files: router({
    upload: task({ input: z.object({ blob: z.custom<Uint8Array>((v) => v instanceof Uint8Array) }), output: z.string() }),
  }),
});
