import { z } from 'zod';
import { router, task, type RouterShape } from '../../src/contract/index.js';
import type { Runtime } from '../../src/contract/compatibility.js';

/**
 * The table of contract changes (docs/CONTRACTS.md shows it): each row a contract before and
 * after, a handler per version, the call an old caller makes and the call a new caller makes, and
 * what must happen to each. test/contract/contract-changes.test.ts runs every row through
 * `taskwire breaking` and for real on Redis (old client → new worker, new client → old worker).
 */

type Handler = (input: never) => unknown;

export interface ContractChange {
  readonly name: string;
  readonly before: RouterShape;
  readonly after: RouterShape;
  /** Handlers of each version, by top-level task name. */
  readonly handlers: { readonly before: Record<string, Handler>; readonly after: Record<string, Handler> };
  /** A call of the old contract (made against a new worker) and of the new one (against an old worker). */
  readonly oldCall: { readonly task: string; readonly input: unknown };
  readonly newCall: { readonly task: string; readonly input: unknown };
  /** What each call does: succeeds (`ok`) or fails with this code. */
  readonly expect: { readonly oldCallers: 'ok' | Runtime; readonly oldWorkers: 'ok' | Runtime };
}

const t = (options: Parameters<typeof task>[0]) => router({ t: task(options) });
const echo = (input: { a: string }) => ({ a: input.a });
const obj = z.object({ a: z.string() });
const same = { before: { t: echo }, after: { t: echo } };
const call = (input: unknown) => ({ task: 't', input });

export const CHANGES: readonly ContractChange[] = [
  {
    name: 'add an optional input field',
    before: t({ input: obj, output: obj }),
    after: t({ input: obj.extend({ b: z.number().optional() }), output: obj }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x', b: 1 }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'add a required input field',
    before: t({ input: obj, output: obj }),
    after: t({ input: obj.extend({ b: z.number() }), output: obj }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x', b: 1 }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'add an input field with a default',
    before: t({ input: obj, output: obj }),
    after: t({ input: obj.extend({ b: z.number().default(1) }), output: obj }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x', b: 2 }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'change an input default',
    before: t({ input: obj.extend({ b: z.number().default(1) }), output: z.number() }),
    after: t({ input: obj.extend({ b: z.number().default(2) }), output: z.number() }),
    handlers: { before: { t: (i: { b: number }) => i.b }, after: { t: (i: { b: number }) => i.b } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'remove an optional input field (object strips unknown keys)',
    before: t({ input: obj.extend({ b: z.number().optional() }), output: obj }),
    after: t({ input: obj, output: obj }),
    handlers: same,
    oldCall: call({ a: 'x', b: 1 }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'remove an input field from a strict object',
    before: t({ input: z.strictObject({ a: z.string(), b: z.number() }), output: obj }),
    after: t({ input: z.strictObject({ a: z.string() }), output: obj }),
    handlers: same,
    oldCall: call({ a: 'x', b: 1 }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'make a required input field optional',
    before: t({ input: obj.extend({ b: z.number() }), output: obj }),
    after: t({ input: obj.extend({ b: z.number().optional() }), output: obj }),
    handlers: same,
    oldCall: call({ a: 'x', b: 1 }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'widen an input type (number → number | string)',
    before: t({ input: z.object({ n: z.number() }), output: z.string() }),
    after: t({ input: z.object({ n: z.union([z.number(), z.string()]) }), output: z.string() }),
    handlers: { before: { t: (i: { n: unknown }) => String(i.n) }, after: { t: (i: { n: unknown }) => String(i.n) } },
    oldCall: call({ n: 1 }),
    newCall: call({ n: 'one' }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'retype an input field (number → string)',
    before: t({ input: z.object({ n: z.number() }), output: z.string() }),
    after: t({ input: z.object({ n: z.string() }), output: z.string() }),
    handlers: { before: { t: (i: { n: unknown }) => String(i.n) }, after: { t: (i: { n: unknown }) => String(i.n) } },
    oldCall: call({ n: 1 }),
    newCall: call({ n: 'one' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'narrow an input enum',
    before: t({ input: z.object({ e: z.enum(['a', 'b', 'c']) }), output: z.string() }),
    after: t({ input: z.object({ e: z.enum(['a', 'b']) }), output: z.string() }),
    handlers: { before: { t: (i: { e: string }) => i.e }, after: { t: (i: { e: string }) => i.e } },
    oldCall: call({ e: 'c' }),
    newCall: call({ e: 'a' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'widen an input enum',
    before: t({ input: z.object({ e: z.enum(['a', 'b']) }), output: z.string() }),
    after: t({ input: z.object({ e: z.enum(['a', 'b', 'c']) }), output: z.string() }),
    handlers: { before: { t: (i: { e: string }) => i.e }, after: { t: (i: { e: string }) => i.e } },
    oldCall: call({ e: 'a' }),
    newCall: call({ e: 'c' }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'tighten an input bound (max 100 → max 10)',
    before: t({ input: z.object({ n: z.number().max(100) }), output: z.number() }),
    after: t({ input: z.object({ n: z.number().max(10) }), output: z.number() }),
    handlers: { before: { t: (i: { n: number }) => i.n }, after: { t: (i: { n: number }) => i.n } },
    oldCall: call({ n: 50 }),
    newCall: call({ n: 5 }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'loosen an input bound (min 5 → min 1)',
    before: t({ input: z.object({ n: z.number().min(5) }), output: z.number() }),
    after: t({ input: z.object({ n: z.number().min(1) }), output: z.number() }),
    handlers: { before: { t: (i: { n: number }) => i.n }, after: { t: (i: { n: number }) => i.n } },
    oldCall: call({ n: 7 }),
    newCall: call({ n: 2 }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'change an input refinement (tightened; the fingerprint does not see it)',
    before: t({ input: z.object({ s: z.string().refine((v) => v.length > 0) }), output: z.string() }),
    after: t({ input: z.object({ s: z.string().refine((v) => v.length > 3) }), output: z.string() }),
    handlers: { before: { t: (i: { s: string }) => i.s }, after: { t: (i: { s: string }) => i.s } },
    oldCall: call({ s: 'ab' }),
    newCall: call({ s: 'abcd' }),
    // The check cannot tell that one refinement implies the other: both ways are "breaks"; the
    // new caller's call happens to pass the old refinement (breaking, but no wrong data).
    expect: { oldCallers: 'VALIDATION', oldWorkers: 'ok' },
  },
  {
    name: 'add an output field',
    before: t({ input: obj, output: z.object({ x: z.string() }) }),
    after: t({ input: obj, output: z.object({ x: z.string(), y: z.number() }) }),
    handlers: { before: { t: () => ({ x: 'x' }) }, after: { t: () => ({ x: 'x', y: 1 }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'add an optional output field',
    before: t({ input: obj, output: z.object({ x: z.string() }) }),
    after: t({ input: obj, output: z.object({ x: z.string(), y: z.number().optional() }) }),
    handlers: { before: { t: () => ({ x: 'x' }) }, after: { t: () => ({ x: 'x', y: 1 }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'remove an output field',
    before: t({ input: obj, output: z.object({ x: z.string(), y: z.number() }) }),
    after: t({ input: obj, output: z.object({ x: z.string() }) }),
    handlers: { before: { t: () => ({ x: 'x', y: 1 }) }, after: { t: () => ({ x: 'x' }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'retype an output field (number → string)',
    before: t({ input: obj, output: z.object({ y: z.number() }) }),
    after: t({ input: obj, output: z.object({ y: z.string() }) }),
    handlers: { before: { t: () => ({ y: 1 }) }, after: { t: () => ({ y: 'one' }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'make an output field nullable',
    before: t({ input: obj, output: z.object({ y: z.number() }) }),
    after: t({ input: obj, output: z.object({ y: z.number().nullable() }) }),
    handlers: { before: { t: () => ({ y: 1 }) }, after: { t: () => ({ y: null }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'make an output field optional',
    before: t({ input: obj, output: z.object({ x: z.string(), y: z.number() }) }),
    after: t({ input: obj, output: z.object({ x: z.string(), y: z.number().optional() }) }),
    handlers: { before: { t: () => ({ x: 'x', y: 1 }) }, after: { t: () => ({ x: 'x' }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'narrow an output enum',
    before: t({ input: obj, output: z.enum(['a', 'b', 'c']) }),
    after: t({ input: obj, output: z.enum(['a', 'b']) }),
    handlers: { before: { t: () => 'c' }, after: { t: () => 'a' } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'widen an output enum',
    before: t({ input: obj, output: z.enum(['a', 'b']) }),
    after: t({ input: obj, output: z.enum(['a', 'b', 'c']) }),
    handlers: { before: { t: () => 'a' }, after: { t: () => 'c' } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'ok' },
  },
  {
    name: 'retype an output Date as a string',
    before: t({ input: obj, output: z.object({ at: z.date() }) }),
    after: t({ input: obj, output: z.object({ at: z.string() }) }),
    handlers: { before: { t: () => ({ at: new Date(0) }) }, after: { t: () => ({ at: '1970-01-01' }) } },
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'CONTRACT_MISMATCH', oldWorkers: 'CONTRACT_MISMATCH' },
  },
  {
    name: 'add a declared error',
    before: t({ input: obj, output: obj }),
    after: t({ input: obj, output: obj, errors: { NOT_FOUND: z.object({ a: z.string() }) } }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'remove a declared error',
    before: t({ input: obj, output: obj, errors: { NOT_FOUND: z.object({ a: z.string() }) } }),
    after: t({ input: obj, output: obj }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'add progress reports',
    before: t({ input: obj, output: obj }),
    after: t({ input: obj, output: obj, progress: z.number() }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
  {
    name: 'add a task',
    before: router({ t: task({ input: obj, output: obj }) }),
    after: router({ t: task({ input: obj, output: obj }), u: task({ input: obj, output: obj }) }),
    handlers: { before: { t: echo }, after: { t: echo, u: echo } },
    oldCall: call({ a: 'x' }),
    newCall: { task: 'u', input: { a: 'x' } },
    expect: { oldCallers: 'ok', oldWorkers: 'UNKNOWN_TASK' },
  },
  {
    name: 'remove a task',
    before: router({ t: task({ input: obj, output: obj }), u: task({ input: obj, output: obj }) }),
    after: router({ t: task({ input: obj, output: obj }) }),
    handlers: { before: { t: echo, u: echo }, after: { t: echo } },
    oldCall: { task: 'u', input: { a: 'x' } },
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'UNKNOWN_TASK', oldWorkers: 'ok' },
  },
  {
    name: 'rename a task',
    before: router({ t: task({ input: obj, output: obj }) }),
    after: router({ renamed: task({ input: obj, output: obj }) }),
    handlers: { before: { t: echo }, after: { renamed: echo } },
    oldCall: call({ a: 'x' }),
    newCall: { task: 'renamed', input: { a: 'x' } },
    expect: { oldCallers: 'UNKNOWN_TASK', oldWorkers: 'UNKNOWN_TASK' },
  },
  {
    name: 'move a task to another queue',
    before: t({ input: obj, output: obj, queue: 'blue' }),
    after: t({ input: obj, output: obj, queue: 'green' }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'NO_WORKERS', oldWorkers: 'NO_WORKERS' },
  },
  {
    name: 'partition a queue (1 → 3 partitions: calls go to blue#0..2)',
    before: t({ input: obj, output: obj, queue: 'blue' }),
    after: t({ input: obj, output: obj, queue: 'blue', partitions: 3 }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'NO_WORKERS', oldWorkers: 'NO_WORKERS' },
  },
  {
    name: 'stop partitioning a queue (3 partitions → 1)',
    before: t({ input: obj, output: obj, queue: 'blue', partitions: 3 }),
    after: t({ input: obj, output: obj, queue: 'blue' }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'NO_WORKERS', oldWorkers: 'NO_WORKERS' },
  },
  {
    name: 'change a timeout and retry policy (not part of the schemas)',
    before: t({ input: obj, output: obj, timeoutMs: 5_000 }),
    after: t({ input: obj, output: obj, timeoutMs: 9_000, retry: { attempts: 2 } }),
    handlers: same,
    oldCall: call({ a: 'x' }),
    newCall: call({ a: 'x' }),
    expect: { oldCallers: 'ok', oldWorkers: 'ok' },
  },
];
