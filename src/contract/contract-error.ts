import { ERROR_CODES, TaskwireError } from '../errors.js';

/**
 * A mistake in a contract (a bad schema, name, queue or option), found when task() or router()
 * runs at module load: a TaskwireError with code VALIDATION, so it is one family with every other
 * error taskwire throws, and a message that says what is valid.
 */
export function contractError(message: string): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, message);
}
