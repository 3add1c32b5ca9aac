import type { RouterShape } from '../contract/router.js';
import { routesOf, type RouteTable } from '../contract/route.js';
import { toLogger } from '../logger.js';
import { Caller, type Sent } from './caller.js';
import { checkLive } from './live-check.js';
import type { EventsOptions } from './task-events.js';
import { buildTree, type CallTarget } from './stubs.js';
import type { CallHandle, Client, ClientHandle, ClientOptions, SendOptions, WaitOptions } from './types.js';

/** A detached call's handle. */
export async function sendDetached(send: () => Promise<Sent>, caller: Caller, path: string): Promise<CallHandle<unknown>> {
  const sent = await send();
  return {
    id: sent.id,
    followUps: sent.followUps,
    result: (wait?: WaitOptions) => caller.followers.result(path, sent.id, wait),
    status: () => caller.followers.status(path, sent.id),
    cancel: () => caller.cancelSent(path, sent),
  };
}

/** The stubs of a client call its Caller as they are. */
function clientTarget(caller: Caller): CallTarget {
  return {
    call: (path, input, options) => caller.call(path, input, options),
    reserve: () => 0,
    send: (path, input, options?: SendOptions) => sendDetached(() => caller.send(path, input, options), caller, path),
    result: (path, id, options) => caller.followers.result(path, id, options),
    status: (path, id) => caller.followers.status(path, id),
  };
}

/**
 * A client over a route table. Generated clients call this with the routes they carry and
 * name their own interface as C; in-repo code uses createClient(contract) instead.
 */
export function createRouteClient<C extends object>(routes: RouteTable, options: ClientOptions): C & ClientHandle {
  // pino takes (detail, message): adapted once here, so nothing on the call path needs to know.
  const caller = new Caller(routes, options.logger === undefined ? options : { ...options, logger: toLogger(options.logger) });
  const tree = buildTree(routes, clientTarget(caller));
  Object.defineProperties(tree, {
    $id: { value: caller.id, enumerable: false },
    $close: { value: () => caller.close(), enumerable: false },
    $pending: { get: () => caller.pending, enumerable: false },
    $result: { value: (id: string, options?: WaitOptions) => caller.followers.result(undefined, id, options), enumerable: false },
    $status: { value: (id: string) => caller.followers.status(undefined, id), enumerable: false },
    $events: { value: (path: string, options?: EventsOptions) => caller.events(path, options), enumerable: false },
    $check: { value: () => checkLive(routes, options), enumerable: false },
    // `await using client = createClient(...)` closes it when the scope ends.
    [Symbol.asyncDispose]: { value: () => caller.close(), enumerable: false },
  });
  return tree as unknown as C & ClientHandle;
}

/** A typed client for a contract: `await client.tasks.resize(input, { timeoutMs })`. */
export function createClient<R extends RouterShape>(contract: R, options: ClientOptions): Client<R> {
  return createRouteClient<Client<R>>(routesOf(contract), options);
}
