import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileErrors, STANDALONE_OPTIONS } from '../codegen/compile-output.js';

// The compiler's own words, as a user sees them: a type test can only say "some error here".
// The file imports 'taskwire/contract', i.e. the built .d.ts a user compiles against (`npm run build` first).
const dir = join('test/.tmp', `zod4-${randomBytes(4).toString('hex')}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorsOf(body: string): string[] {
  const file = join(dir, `${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, `import { z } from 'zod';\nimport { z as z3 } from 'zod/v3';\nimport { task } from 'taskwire/contract';\nvoid z; void z3;\n${body}\n`);
  return compileErrors([file], STANDALONE_OPTIONS);
}

describe('the compile error for a schema that is not zod 4', () => {
  it('says which field must be a zod 4 schema and how to import it', () => {
    const errors = errorsOf(
      `export const a = task({ input: z3.object({ url: z3.string() }), output: z.string() });\n` +
        `export const b = task({ input: z.string(), output: { type: 'object' } });\n` +
        `export const c = task({ input: z.string(), output: z.string(), errors: { NOT_FOUND: z3.object({}) } });`,
    );
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain("taskwire: input must be a zod 4 schema (import { z } from 'zod' with zod >= 4; 'zod/v3' is not supported");
    expect(errors[1]).toContain('taskwire: output must be a zod 4 schema');
    expect(errors[2]).toContain('taskwire: each declared error must be a zod 4 schema');
  });

  it('leaves a correct zod 4 contract without errors', () => {
    expect(errorsOf(`export const t = task({ input: z.object({ url: z.url() }), output: z.number(), errors: { GONE: z.null() } });`)).toEqual([]);
  });
});
