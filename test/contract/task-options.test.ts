import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { task, type RetryPolicy } from '../../src/contract/index.js';

const base = { input: z.string(), output: z.string() };
const withRetry = (retry: RetryPolicy) => () => task({ ...base, errors: { BUSY: z.null(), GONE: z.null() }, retry });

describe('task() options are checked where they are declared', () => {
  it('rejects a timeoutMs that is not positive, or longer than a Node timer can wait', () => {
    expect(() => task({ ...base, timeoutMs: 0 })).toThrow('task(): timeoutMs must be a positive number of milliseconds, got 0');
    expect(() => task({ ...base, timeoutMs: Number.NaN })).toThrow('got NaN');
    // A timer longer than 2^31-1 ms fires after 1 ms in Node: every call would time out at once.
    expect(() => task({ ...base, timeoutMs: 2 ** 31 })).toThrow(/at most 2147483647 \(about 24 days/);
    expect(() => task({ ...base, timeoutMs: Infinity })).toThrow(/at most 2147483647/);
    expect(() => task({ ...base, timeoutMs: 2 ** 31 - 1 })).not.toThrow();
  });

  it('rejects retry.attempts that is not an integer >= 1, and says what it got', () => {
    expect(withRetry({ attempts: 0 })).toThrow('task(): retry.attempts must be an integer >= 1 (1 = no retry), got 0');
    expect(withRetry({ attempts: 2.5 })).toThrow('got 2.5');
  });

  it('rejects a negative or non-finite retry.backoffMs and retry.maxDelayMs', () => {
    expect(withRetry({ attempts: 3, backoffMs: -1 })).toThrow('task(): retry.backoffMs must be a finite number >= 0, got -1');
    expect(withRetry({ attempts: 3, maxDelayMs: -5 })).toThrow('task(): retry.maxDelayMs must be a finite number >= 0, got -5');
    expect(withRetry({ attempts: 3, maxDelayMs: Infinity })).toThrow('retry.maxDelayMs must be a finite number >= 0, got Infinity');
    expect(withRetry({ attempts: 3, backoffMs: 0, maxDelayMs: 0 })).not.toThrow();
  });

  it('rejects retry.retryOn naming a code the task does not declare, and lists the declared ones', () => {
    expect(withRetry({ attempts: 3, retryOn: ['BUSY', 'TIMEOUT'] })).toThrow(
      'task(): retry.retryOn names "TIMEOUT", which is not an error this task declares (declared: BUSY, GONE); retryOn applies only to declared errors',
    );
    expect(() => task({ ...base, retry: { attempts: 3, retryOn: ['BUSY'] } })).toThrow('(declared: none)');
    expect(withRetry({ attempts: 3, retryOn: ['BUSY', 'GONE'] })).not.toThrow();
  });

  it('rejects a description that is not a string', () => {
    expect(() => task({ ...base, description: 42 as unknown as string })).toThrow('task(): description must be a string, got 42');
  });
});
