import { describe, it } from 'vitest';
import { checkGolden, goldenCases } from './golden.js';

describe('generated clients match the committed golden files', () => {
  it.each(goldenCases().map((c) => [c.name, c] as const))('case %s regenerates byte for byte', async (_name, golden) => {
    await checkGolden(golden);
  });
});
