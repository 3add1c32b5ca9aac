import type { z } from 'zod';
import { issuesText } from '../contract/parse.js';
import { ERROR_CODES, TaskwireError } from '../errors.js';

/** The errors a call gets at the caller, before or instead of a worker's answer. */

export function invalidInput(path: string, error: z.ZodError): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `invalid input for ${path}: ${issuesText(error)}`, {
    data: { task: path, issues: error.issues },
  });
}

/** A child call (ctx.client) that cannot start before its parent's deadline. */
export function pastParent(path: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.TIMEOUT, `${path} could not start before its parent call's deadline`, { data: { task: path } });
}

export function cancelledCall(path: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.CANCELLED, `call of ${path} was cancelled`, { data: { task: path } });
}
