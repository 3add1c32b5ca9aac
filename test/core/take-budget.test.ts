import { expect, it } from 'vitest';
import { TakeBudget } from '../../src/worker/take-budget.js';

it('takes a few calls until it has measured one, then as many as it can start within ~10 ms', () => {
  const budget = new TakeBudget();
  expect(budget.limit()).toBe(16);
  budget.record(0.5); // the first sample counts in full
  expect(budget.limit()).toBe(20);
  for (let i = 0; i < 100; i++) budget.record(2); // 2 ms of synchronous work per call
  expect(budget.limit()).toBe(5);
  for (let i = 0; i < 100; i++) budget.record(0.01); // handlers that await at once
  expect(budget.limit()).toBeGreaterThanOrEqual(900);
  for (let i = 0; i < 100; i++) budget.record(50); // slower than the horizon: one at a time
  expect(budget.limit()).toBe(1);
});
