import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileErrors, withSchemaAnnotations } from './compile-output.js';
import { goldenCases, REPO_ROOT } from './golden.js';

describe('generated clients compile on their own', () => {
  it('dist is built, so `taskwire` resolves to this package', () => {
    expect(existsSync(join(REPO_ROOT, 'dist/src/index.d.ts')), 'run `npm run build` first').toBe(true);
  });

  it('every expected output passes tsc --strict with exactOptionalPropertyTypes and noUnused*', () => {
    const files = goldenCases().flatMap((c) => c.outputs);
    expect(compileErrors(files)).toEqual([]);
  }, 120_000);

  it('the emitted zod schemas produce exactly the emitted types', () => {
    const dir = join(REPO_ROOT, 'test/.tmp', `annotated-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    try {
      const copies = goldenCases().map((c) => withSchemaAnnotations(c.outputs[0] ?? '', join(dir, `${c.name}.ts`)));
      const annotated = copies.map((f) => readFileSync(f, 'utf8').match(/^const \w+Schema: z\.ZodType</gm)?.length ?? 0);
      expect(annotated.every((n) => n > 0)).toBe(true);
      expect(compileErrors(copies)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
