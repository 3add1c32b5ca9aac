import { z } from 'zod';
import { task } from '../../../src/contract/index.js';

/** Answers "pong"; takes no input. */
export const ping = task({ input: z.undefined(), output: z.literal('pong') });
