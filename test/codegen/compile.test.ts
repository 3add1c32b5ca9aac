import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileErrors } from './compile-output.js';
import { goldenCases, REPO_ROOT } from './golden.js';

describe('generated clients compile on their own', () => {
  it('dist is built, so `taskwire` resolves to this package', () => {
    expect(existsSync(join(REPO_ROOT, 'dist/src/index.d.ts')), 'run `npm run build` first').toBe(true);
  });

  it('every expected output passes tsc --strict with exactOptionalPropertyTypes and noUnused*', () => {
    const files = goldenCases().flatMap((c) => c.outputs);
    expect(compileErrors(files)).toEqual([]);
  }, 120_000);
});
