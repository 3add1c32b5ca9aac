import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Connection } from './connection.js';
import { failureCause, failureCode, redisAddress } from './redis-address.js';

/** The last failure of a connection, for messages and error data. */
export interface ConnectionFailure {
  /** As ioredis reported it, e.g. "connect ECONNREFUSED 127.0.0.1:6379". */
  cause: string;
  /** ECONNREFUSED, ENOTFOUND, NOAUTH, WRONGPASS, ... when there is one. */
  code: string | undefined;
}

/** What a CONNECTION error says about Redis in its `data`. */
export interface ConnectionErrorData {
  redis: string;
  cause?: string;
  causeCode?: string;
}

/**
 * Watches the connections of one worker, client or admin (all go to the same place) and makes
 * their failures heard. ioredis reports each failed connect on its connection's 'error' event
 * and keeps retrying; without this, taskwire swallowed them all and a worker or client against a
 * Redis that is down, or misconfigured, said nothing (issue 13, point 2).
 *
 * The first failure is logged once with the address and the cause; repeats are not, until every
 * connection that failed is ready again (then one line says so). Calls and start-up read the
 * last cause for their CONNECTION errors. After stop() nothing is logged.
 */
export class ConnectionHealth {
  readonly #owner: string;
  readonly #logger: Logger | undefined;
  readonly #failing = new Set<object>();
  #address: string | undefined;
  #last: ConnectionFailure | undefined;
  #logged = false;
  #stopped = false;

  /** `owner` names who is talking in the log ("worker 0b1c…"); no logger: nothing is logged. */
  constructor(owner: string, logger: Logger | undefined) {
    this.#owner = owner;
    this.#logger = logger;
  }

  /**
   * Listens to a connection's failures and recoveries. Its 'error' listener is also what keeps
   * ioredis from printing every reconnect attempt as an unhandled error event, after stop() too.
   */
  watch(conn: Connection, role: string): Connection {
    this.#address ??= redisAddress(conn);
    conn.on('error', (err: unknown) => this.#failed(conn, role, err));
    conn.on('ready', () => this.#ready(conn));
    return conn;
  }

  /** Where the watched connections go: host:port, the socket, the cluster's nodes or the Sentinel set. */
  get address(): string {
    return this.#address ?? '(not connected yet)';
  }

  /** The latest failure since the connections were last all ready, if any. */
  get lastFailure(): ConnectionFailure | undefined {
    return this.#last;
  }

  /** `data` of a CONNECTION error: where, and the cause if one was seen. */
  errorData(): ConnectionErrorData {
    const data: ConnectionErrorData = { redis: this.address };
    if (this.#last) {
      data.cause = this.#last.cause;
      if (this.#last.code !== undefined) data.causeCode = this.#last.code;
    }
    return data;
  }

  /**
   * A CONNECTION error saying `what` failed, and why: `err` (a command's rejection) or, without
   * one, the connections' last failure. `extra` joins the error's data (the task, say).
   */
  connectionError<X extends object = object>(what: string, err?: unknown, extra?: X): TaskwireError<'CONNECTION', ConnectionErrorData & X> {
    const data: ConnectionErrorData = this.errorData();
    if (err !== undefined) {
      data.cause = failureCause(err);
      const code = failureCode(err);
      if (code !== undefined) data.causeCode = code;
      else delete data.causeCode;
    }
    const why = data.cause === undefined ? 'no answer yet' : data.cause;
    const full = { ...extra, ...data } as ConnectionErrorData & X;
    const options = err === undefined ? { data: full } : { data: full, cause: err };
    return new TaskwireError(ERROR_CODES.CONNECTION, `${what} (Redis at ${data.redis}: ${why})`, options);
  }

  /**
   * Waits for `work` (commands on the watched connections, which ioredis holds in its offline
   * queue while Redis cannot be reached) for at most `timeoutMs`. Rejects with CONNECTION,
   * naming the address and the cause, when it does not finish in time or one of its commands
   * fails (a wrong password fails at once: ioredis rejects what it holds); rejects with the
   * signal's reason when `interrupt` fires first. Leaves no timer or listener behind.
   */
  async within<T>(work: Promise<T>, timeoutMs: number, what: string, interrupt: AbortSignal): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.connectionError(`${what} within ${timeoutMs} ms`)), timeoutMs);
      onAbort = () => reject(interrupt.reason);
      if (interrupt.aborted) onAbort();
      else interrupt.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work.catch((err: unknown) => Promise.reject(this.connectionError(what, err))), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) interrupt.removeEventListener('abort', onAbort);
    }
  }

  /** No more logging: the owner is closing its connections, and their goodbyes are no news. */
  stop(): void {
    this.#stopped = true;
  }

  #failed(conn: object, role: string, err: unknown): void {
    if (this.#stopped) return;
    this.#last = { cause: failureCause(err), code: failureCode(err) };
    this.#failing.add(conn);
    if (this.#logged) return;
    this.#logged = true;
    this.#logger?.error(`taskwire: ${this.#owner} cannot reach Redis at ${this.address}: ${this.#last.cause}`, {
      redis: this.address,
      cause: this.#last.cause,
      code: this.#last.code,
      connection: role,
    });
  }

  #ready(conn: object): void {
    this.#failing.delete(conn);
    if (this.#failing.size > 0) return;
    this.#last = undefined;
    if (!this.#logged) return;
    this.#logged = false;
    if (!this.#stopped) this.#logger?.warn(`taskwire: ${this.#owner} reached Redis at ${this.address} again`, { redis: this.address });
  }
}
