import { contractError } from './contract-error.js';
import { nameProblem } from './names.js';
import { queuePartitions } from './queue-partitions.js';
import { isTask, type AnyTask } from './task.js';

// A string key (see task.ts for why not a unique symbol), non-enumerable so that walking a
// router with Object.entries sees only tasks and routers.
const BRAND = '~taskwire';

/** The shape of a router: names mapped to tasks or nested routers. */
export interface RouterShape {
  readonly [name: string]: AnyTask | RouterShape;
}

/** A router is its shape; the brand exists at runtime only (see isRouter). */
export type Router<S extends RouterShape = RouterShape> = S;

/**
 * Groups tasks and routers. The result is the same record with a hidden brand, so
 * `contract.tasks.resize` is the task itself (usable for typed error checks).
 */
export function router<const S extends RouterShape>(shape: S): Router<S> {
  for (const [name, value] of Object.entries(shape)) {
    const problem = nameProblem(name);
    if (problem !== undefined) throw contractError(`router(): ${JSON.stringify(name)} is not a valid task or router name: ${problem}`);
    if (!isTask(value) && !isRouter(value)) {
      throw contractError(`router(): "${name}" is neither a task() nor a router()`);
    }
  }
  const out = { ...shape };
  Object.defineProperty(out, BRAND, { value: 'router', enumerable: false });
  // Checked per router, so a nested one already reports its own tasks' disagreement.
  queuePartitions(listTasks(out), 'router()');
  return Object.freeze(out) as Router<S>;
}

export function isRouter(value: unknown): value is Router {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[BRAND] === 'router';
}

/** Every task of a router with its dotted path, in declaration order. */
export function listTasks(root: RouterShape, prefix = ''): Array<{ path: string; task: AnyTask }> {
  const out: Array<{ path: string; task: AnyTask }> = [];
  for (const [name, value] of Object.entries(root)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (isTask(value)) out.push({ path, task: value });
    else out.push(...listTasks(value, path));
  }
  return out;
}
