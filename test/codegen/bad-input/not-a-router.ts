import { z } from 'zod';
import { task } from '../../../src/contract/index.js';

export const contract = { resize: task({ input: z.string(), output: z.string() }) };
export const single = task({ input: z.string(), output: z.string() });
