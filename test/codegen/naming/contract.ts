import { z } from 'zod';
import { router, task } from '../../../src/contract/index.js';

/** A schema named with .meta({ id }): the generated type takes that name. */
const TreeNode = z
  .object({
    label: z.string(),
    get children() {
      return z.array(TreeNode).optional();
    },
  })
  .meta({ id: 'TreeNode' });

const empty = z.object({});

// Paths that collide once PascalCased, names the generated module uses itself, error codes
// that are not identifiers, and one recursive schema shared by two tasks.
export const api = router({
  a_b: router({ run: task({ input: empty, output: z.null() }) }),
  aB: router({ run: task({ input: empty, output: z.null() }) }),
  routes: task({ input: empty, output: z.null() }),
  createClient: task({ input: empty, output: z.null(), errors: { 'not-found': z.null(), BUSY: z.object({ retryInMs: z.number() }) } }),
  trees: router({
    get: task({ input: z.object({ id: z.string() }), output: TreeNode }),
    put: task({ input: TreeNode, output: z.object({ saved: TreeNode }) }),
  }),
});
