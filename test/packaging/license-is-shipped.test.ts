import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packedFiles, readPackageJson, REPO_ROOT } from '../support/packed-package.js';

describe('the package ships its license', () => {
  it('LICENSE is in the tarball', () => {
    expect(packedFiles()).toContain('LICENSE');
  });

  it('LICENSE holds the MIT text that package.json "license" names, for the taskwire authors', () => {
    expect(readPackageJson().license).toBe('MIT');
    const text = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the taskwire authors\n/);
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });
});
