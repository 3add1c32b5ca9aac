import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { generate } from '../../codegen/generate.js';
import { writeFileAtomic } from '../../codegen/write-file-atomic.js';

/**
 * The one golden-file helper. A case is a folder under test/codegen/ with `contract.ts`,
 * `options.json` ({ "export"?: string, "also"?: [extra output paths] }) and `expected.golden.ts`.
 * Run with UPDATE_GOLDEN=1 to rewrite the expected files instead of comparing.
 */

export const CODEGEN_TEST_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(CODEGEN_TEST_DIR, '..', '..');

export interface GoldenCase {
  readonly name: string;
  readonly contract: string;
  readonly exportName: string;
  /** Every file this case must reproduce: expected.golden.ts first, then any `also` paths. */
  readonly outputs: readonly string[];
}

interface CaseOptions {
  export?: string;
  also?: string[];
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(CODEGEN_TEST_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(CODEGEN_TEST_DIR, entry.name, 'options.json')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const dir = join(CODEGEN_TEST_DIR, name);
      const options = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as CaseOptions;
      return {
        name,
        contract: join(dir, 'contract.ts'),
        exportName: options.export ?? 'contract',
        outputs: [join(dir, 'expected.golden.ts'), ...(options.also ?? []).map((p) => join(dir, p))],
      };
    });
}

/** Regenerates every output of a case and fails on any difference (or rewrites, with UPDATE_GOLDEN=1). */
export async function checkGolden(golden: GoldenCase): Promise<void> {
  for (const out of golden.outputs) {
    const { text } = await generate({ file: golden.contract, out, exportName: golden.exportName, cwd: REPO_ROOT });
    if (process.env['UPDATE_GOLDEN'] === '1') {
      writeFileAtomic(out, text);
      continue;
    }
    const shown = relative(REPO_ROOT, out);
    expect(existsSync(out), `${shown} is missing; run UPDATE_GOLDEN=1 npx vitest run test/codegen`).toBe(true);
    expect(text, `${shown} differs from a fresh generation; review and run with UPDATE_GOLDEN=1`).toBe(readFileSync(out, 'utf8'));
  }
}
