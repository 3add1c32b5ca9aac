import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { RouteTable } from '../contract/route.js';
import { fanOut } from './fan-out.js';
import type { CallHandle, CallOptions, MapOptions, RunStatus, SendOptions, WaitOptions } from './types.js';

/**
 * What a tree of task stubs calls: a client (create-client.ts), or a handler's children
 * (worker/child-calls.ts), which give each call a position among the parent's children.
 */
export interface CallTarget {
  /** `position`: the call's place in a fan-out reserved with `reserve`; undefined: the next one. */
  call(path: string, input: unknown, options: CallOptions | undefined, position?: number): Promise<unknown>;
  /** Reserves `n` consecutive positions for one fan-out and answers the first. */
  reserve(n: number): number;
  send(path: string, input: unknown, options: SendOptions | undefined): Promise<CallHandle<unknown>>;
  result(path: string | undefined, id: string, options: WaitOptions | undefined): Promise<unknown>;
  status(path: string | undefined, id: string): Promise<RunStatus>;
}

type CallFn = (input: unknown, options?: CallOptions) => Promise<unknown>;
export interface Tree {
  [name: string]: Tree | CallFn;
}

/**
 * Builds the nested stub object from dotted task paths. Plain objects, not a Proxy: the shape
 * is known up front, so typos fail loudly (undefined is not a function) and the object can be
 * inspected and logged.
 */
export function buildTree(routes: RouteTable, target: CallTarget): Tree {
  const root: Tree = {};
  for (const path of routes.keys()) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next === 'function') throw new TaskwireError(ERROR_CODES.VALIDATION, `task path ${path} collides with a task`);
      node = next ?? (node[part] = {});
    }
    const leaf = parts[parts.length - 1];
    if (leaf === undefined) continue;
    node[leaf] = taskMethod(path, target);
  }
  return root;
}

/** One task's stub: the call, its fan-out helpers and detached calls (non-enumerable, so a log shows the tree). */
function taskMethod(path: string, target: CallTarget): CallFn {
  const call = (input: unknown, options?: CallOptions) => target.call(path, input, options);
  const map = (inputs: readonly unknown[], options: MapOptions, settle: boolean) => {
    // Positions are taken at once, in input order, however the calls interleave with others.
    const first = Array.isArray(inputs) ? target.reserve(inputs.length) : 0;
    return fanOut(path, (input, opts, i) => target.call(path, input, opts, first + i), inputs, options, settle);
  };
  return Object.defineProperties(call, {
    map: { value: (inputs: readonly unknown[], options: MapOptions = {}) => map(inputs, options, false) },
    mapSettled: { value: (inputs: readonly unknown[], options: MapOptions = {}) => map(inputs, options, true) },
    send: { value: (input: unknown, options?: SendOptions) => target.send(path, input, options) },
    result: { value: (id: string, options?: WaitOptions) => target.result(path, id, options) },
    status: { value: (id: string) => target.status(path, id) },
  }) as CallFn;
}
