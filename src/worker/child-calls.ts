import { ERROR_CODES, TaskwireError, isTaskwireError } from '../errors.js';
import type { RouterShape } from '../contract/router.js';
import { routesOf, type RouteTable } from '../contract/route.js';
import { Caller } from '../client/caller.js';
import type { ChildLink } from '../client/child-link.js';
import { sendDetached } from '../client/create-client.js';
import { buildTree, type CallTarget, type Tree } from '../client/stubs.js';
import type { CallHandle, ClientOptions, WaitOptions } from '../client/types.js';

/** The longest call id the wire takes (wire/envelope.ts). */
const MAX_CALL_ID = 128;

/** Keys a caller may give a child: they become part of Redis keys and call ids. */
const CHILD_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The clients a worker's handlers make child calls with (ctx.client, ctx.clientOf): one Caller
 * per route table, made on first use and closed with the worker. A worker whose handlers never
 * call out opens no connection for it.
 */
export class ChildClients {
  readonly #own: RouteTable;
  readonly #options: ClientOptions;
  readonly #callers = new Map<RouteTable, Caller>();
  readonly #tables = new WeakMap<object, RouteTable>();
  #closed = false;

  constructor(own: RouteTable, options: ClientOptions) {
    this.#own = own;
    this.#options = options;
  }

  get own(): RouteTable {
    return this.#own;
  }

  /** A contract's route table (made once per contract), or a generated client's routes as they are. */
  routes(source: RouterShape | RouteTable): RouteTable {
    if (source instanceof Map) return source as RouteTable;
    let table = this.#tables.get(source);
    if (!table) {
      table = routesOf(source as RouterShape);
      this.#tables.set(source, table);
    }
    return table;
  }

  caller(routes: RouteTable): Caller {
    if (this.#closed) throw new TaskwireError(ERROR_CODES.CLOSED, 'worker is closed: no child calls');
    let caller = this.#callers.get(routes);
    if (!caller) {
      caller = new Caller(routes, this.#options);
      this.#callers.set(routes, caller);
    }
    return caller;
  }

  /** Rejects child calls still waiting with CLOSED (the children themselves go on) and closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#callers.values()].map((c) => c.close()));
    this.#callers.clear();
  }
}

/** What a child call takes from its parent (the handler's ctx). */
export interface Parent {
  readonly callId: string;
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The children of one running call: their positions, and the stub trees (one per route table)
 * that make them. One position counter for all the trees, so a handler's n-th child is the
 * n-th whatever client it used.
 */
export class ChildScope {
  readonly #clients: ChildClients;
  readonly #parent: Parent;
  readonly #trees = new Map<RouteTable, Tree>();
  #next = 0;
  #signal: AbortSignal | undefined;

  constructor(clients: ChildClients, parent: Parent) {
    this.#clients = clients;
    this.#parent = parent;
  }

  tree(source: RouterShape | RouteTable): Tree {
    const routes = this.#clients.routes(source);
    let tree = this.#trees.get(routes);
    if (!tree) {
      tree = buildTree(routes, this.#target(routes));
      this.#trees.set(routes, tree);
    }
    return tree;
  }

  /**
   * Aborts when the parent is cancelled. Not on a lost lease or the worker's close: then the
   * parent runs again elsewhere and joins these children, which must go on.
   */
  #cancelled(): AbortSignal {
    if (this.#signal) return this.#signal;
    const controller = new AbortController();
    const parent = this.#parent.signal;
    const follow = () => {
      if (isTaskwireError(parent.reason) && parent.reason.code === ERROR_CODES.CANCELLED) controller.abort(parent.reason);
    };
    if (parent.aborted) follow();
    else parent.addEventListener('abort', follow, { once: true });
    this.#signal = controller.signal;
    return this.#signal;
  }

  /** A handler waits for a detached child no later than its own deadline, and stops with its cancellation. */
  #waitOptions(options: WaitOptions | undefined): WaitOptions {
    const left = Math.max(this.#parent.deadline - Date.now(), 1);
    const own = this.#cancelled();
    return { timeoutMs: Math.min(options?.timeoutMs ?? left, left), signal: options?.signal ? AbortSignal.any([options.signal, own]) : own };
  }

  #bounded<O>(handle: CallHandle<O>): CallHandle<O> {
    return { ...handle, result: (options?: WaitOptions) => handle.result(this.#waitOptions(options)) };
  }

  #link(key: string | undefined, position: number | undefined): ChildLink {
    if (key !== undefined && !(typeof key === 'string' && CHILD_KEY.test(key))) {
      throw new TaskwireError(ERROR_CODES.VALIDATION, `a child call's key is 1 to 128 of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(key)}`);
    }
    const p = this.#parent;
    return {
      // Named keys and positions never meet: positions are bare numbers.
      key: key !== undefined ? `k:${key}` : String(position ?? this.#next++),
      parentId: p.callId,
      notAfter: p.deadline,
      signal: this.#cancelled(),
      headers: p.headers,
    };
  }

  #target(routes: RouteTable): CallTarget {
    const caller = () => this.#clients.caller(routes);
    return {
      call: (path, input, options, position) => {
        try {
          const { key, ...rest } = (options ?? {}) as { key?: string };
          return caller().call(path, input, rest, this.#link(key, position));
        } catch (err) {
          return Promise.reject(err);
        }
      },
      reserve: (n) => {
        const first = this.#next;
        this.#next += n;
        return first;
      },
      send: (path, input, options) => {
        try {
          const { key, ...rest } = (options ?? {}) as { key?: string };
          const link = this.#link(key, undefined);
          // The id is `<parent id>/<position>` or `<parent id>/k:<key>`: refused here past the wire's limit.
          if (link.parentId.length + 1 + link.key.length > MAX_CALL_ID) {
            throw new TaskwireError(ERROR_CODES.VALIDATION, `a detached child's id (its parent's id, "/", its key) must be at most ${MAX_CALL_ID} characters: shorten its key`);
          }
          const c = caller();
          return sendDetached(() => c.send(path, input, rest, link), c, path).then((handle) => this.#bounded(handle));
        } catch (err) {
          return Promise.reject(err);
        }
      },
      result: (path, id, options) => caller().followers.result(path, id, this.#waitOptions(options)),
      status: (path, id) => caller().followers.status(path, id),
    };
  }
}
