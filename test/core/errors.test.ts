import { describe, expect, it } from 'vitest';
import { errorFromJSON, isTaskError, isTaskwireError, TaskError, TaskwireError, toTaskwireError } from '../../src/index.js';

describe('the error family', () => {
  it('round-trips through JSON with code, message, data and the declared flag', () => {
    const declared = new TaskError('NOT_FOUND', { url: 'u' }, 'no such image', { retryable: false });
    const back = errorFromJSON(JSON.parse(JSON.stringify(declared)));
    expect(back).toBeInstanceOf(TaskError);
    expect(back).toMatchObject({ code: 'NOT_FOUND', message: 'no such image', data: { url: 'u' }, defined: true, retryable: false });
    const builtIn = errorFromJSON(new TaskwireError('TIMEOUT', 'late', { data: { timeoutMs: 5 } }).toJSON());
    expect(builtIn).toMatchObject({ code: 'TIMEOUT', defined: false, data: { timeoutMs: 5 } });
    expect(isTaskError(builtIn)).toBe(false);
  });

  it('recognises errors from another copy of the package by brand, not instanceof', () => {
    // What a second copy's TaskwireError looks like to this copy: a different class, same brand.
    class OtherCopyError extends Error {
      get '~taskwire'(): 'error' {
        return 'error';
      }
      readonly code = 'TIMEOUT';
      readonly defined = false;
    }
    const foreign = new OtherCopyError('late');
    expect(foreign instanceof TaskwireError).toBe(false);
    expect(isTaskwireError(foreign)).toBe(true);
    expect(isTaskwireError(new Error('x'))).toBe(false);
    expect(isTaskwireError({ code: 'TIMEOUT' })).toBe(false);
  });

  it('wraps anything thrown that is not ours as INTERNAL', () => {
    expect(toTaskwireError(new RangeError('bad')).code).toBe('INTERNAL');
    expect(toTaskwireError('a string').message).toBe('a string');
    const ours = new TaskwireError('CANCELLED', 'stop');
    expect(toTaskwireError(ours)).toBe(ours);
  });
});
