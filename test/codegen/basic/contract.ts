import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';
import { ping } from './ping-task.js';

const UserId = z.string().uuid().brand<'UserId'>();

/** Adds two numbers. */
const add = task({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() });

export const contract = router({
  /** Image work, served by the image workers. */
  tasks: router({
    /** Resizes an image to the given width. */
    resize: task({
      input: z.object({ url: z.string().url(), width: z.number().int().positive() }),
      output: z.object({ url: z.string(), bytes: z.number() }),
      errors: { NOT_FOUND: z.object({ url: z.string() }) },
      queue: 'images',
      timeoutMs: 10_000,
    }),
  }),
  math: router({ add, ping }),
  users: router({
    // Brands exist only in TypeScript; the generator reads them with the type checker.
    get: task({
      input: z.object({ id: UserId, friends: z.array(UserId).optional() }),
      output: z.object({ id: UserId, name: z.string().brand<'DisplayName'>().nullable() }),
    }),
  }),
});
