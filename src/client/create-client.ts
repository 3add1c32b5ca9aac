import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { RouterShape } from '../contract/router.js';
import { routesOf, type RouteTable } from '../contract/route.js';
import { Caller } from './caller.js';
import { fanOut } from './fan-out.js';
import type { CallHandle, CallOptions, Client, ClientHandle, ClientOptions, MapOptions, SendOptions, WaitOptions } from './types.js';

type CallFn = (input: unknown, options?: CallOptions) => Promise<unknown>;
interface Tree {
  [name: string]: Tree | CallFn;
}

/**
 * Builds the nested stub object from dotted task paths. Plain objects, not a Proxy: the shape
 * is known up front, so typos fail loudly (undefined is not a function) and the object can be
 * inspected and logged.
 */
function buildTree(routes: RouteTable, caller: Caller): Tree {
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
    node[leaf] = taskMethod(path, caller);
  }
  return root;
}

/** One task's stub: the call, its fan-out helpers and detached calls (non-enumerable, so a log shows the tree). */
function taskMethod(path: string, caller: Caller): CallFn {
  const call = (input: unknown, options?: CallOptions) => caller.call(path, input, options);
  return Object.defineProperties(call, {
    map: { value: (inputs: readonly unknown[], options: MapOptions = {}) => fanOut(path, call, inputs, options, false) },
    mapSettled: { value: (inputs: readonly unknown[], options: MapOptions = {}) => fanOut(path, call, inputs, options, true) },
    send: { value: (input: unknown, options?: SendOptions) => sendDetached(caller, path, input, options) },
    result: { value: (id: string, options?: WaitOptions) => caller.followers.result(path, id, options) },
    status: { value: (id: string) => caller.followers.status(path, id) },
  }) as CallFn;
}

async function sendDetached(caller: Caller, path: string, input: unknown, options: SendOptions = {}): Promise<CallHandle<unknown>> {
  const sent = await caller.send(path, input, options);
  return {
    id: sent.id,
    result: (wait) => caller.followers.result(path, sent.id, wait),
    status: () => caller.followers.status(path, sent.id),
    cancel: () => caller.cancelSent(path, sent.id, sent.raw, sent.deadline, sent.group),
  };
}

/**
 * A client over a route table. Generated clients call this with the routes they carry and
 * name their own interface as C; in-repo code uses createClient(contract) instead.
 */
export function createRouteClient<C extends object>(routes: RouteTable, options: ClientOptions): C & ClientHandle {
  const caller = new Caller(routes, options);
  const tree = buildTree(routes, caller);
  Object.defineProperties(tree, {
    $id: { value: caller.id, enumerable: false },
    $close: { value: () => caller.close(), enumerable: false },
    $pending: { get: () => caller.pending, enumerable: false },
    $result: { value: (id: string, options?: WaitOptions) => caller.followers.result(undefined, id, options), enumerable: false },
    $status: { value: (id: string) => caller.followers.status(undefined, id), enumerable: false },
    // `await using client = createClient(...)` closes it when the scope ends.
    [Symbol.asyncDispose]: { value: () => caller.close(), enumerable: false },
  });
  return tree as unknown as C & ClientHandle;
}

/** A typed client for a contract: `await client.tasks.resize(input, { timeoutMs })`. */
export function createClient<R extends RouterShape>(contract: R, options: ClientOptions): Client<R> {
  return createRouteClient<Client<R>>(routesOf(contract), options);
}
