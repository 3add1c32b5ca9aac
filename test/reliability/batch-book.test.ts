import { describe, expect, it } from 'vitest';
import { queueKeys } from '../../src/wire/keys.js';
import { BatchBook } from '../../src/worker/batch-book.js';

/**
 * The worker's account of its taken batches decides how complete-4.lua ends a batch's lease.
 * Only 'w' (drop the batch's list whole) could lose a call, so these pin when it is chosen.
 */
describe('BatchBook', () => {
  const k = queueKeys('t', 'q');
  const other = queueKeys('t', 'r');
  const book = (n: number, batch = '10') => {
    const b = new BatchBook();
    for (let i = 0; i < n; i++) b.took(k, batch);
    return b;
  };

  it('settles a batch whole only when the calls sent are all that is left of it', () => {
    const b = book(3);
    expect(b.how(k, '10', 3, 3)).toBe('w');
    expect(b.how(k, '10', 2, 2)).toBe('p');
    // The same batch id on another queue is another batch.
    expect(b.how(other, '10', 3, 3)).toBe('c');
  });

  it('checks the last calls of a batch while others of it are in a complete not answered yet', () => {
    const b = book(3);
    expect(b.how(k, '10', 1, 1)).toBe('p');
    b.sent(k, '10', 1);
    // 2 left here + 1 in flight: this one is the last; the script ends the lease if the first ran.
    expect(b.how(k, '10', 2, 2)).toBe('c');
    b.answered(k, '10', 1);
    expect(b.how(k, '10', 2, 2)).toBe('w');
  });

  it('never settles whole after a complete of the batch failed, nor a batch it does not know', () => {
    const b = book(4);
    b.sent(k, '10', 2);
    b.failed(k, '10', 2);
    // Whether the failed complete ran is unknown: the 4 calls are still "left", but each is checked.
    expect(b.how(k, '10', 4, 4)).toBe('c');
    expect(b.how(k, '99', 1, 1)).toBe('c');
    b.forget(k, '10');
    expect(b.how(k, '10', 4, 4)).toBe('c');
  });

  it('checks every settle of a batch once some of its calls are being handed back', () => {
    const b = book(2);
    b.handingBack(k, '10');
    // The aborted handlers' settles must find their handed-back entries empty and be dropped.
    expect(b.how(k, '10', 2, 2)).toBe('c');
  });

  it('does not count a call sent twice in one complete as two', () => {
    const b = book(2);
    expect(b.how(k, '10', 1, 2)).toBe('c');
  });

  it('forgets a batch once all of it is answered', () => {
    const b = book(2);
    b.sent(k, '10', 2);
    b.answered(k, '10', 2);
    b.took(k, '10'); // (ids are never reused; this only shows the entry started over)
    expect(b.how(k, '10', 1, 1)).toBe('w');
  });
});
