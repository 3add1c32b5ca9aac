/**
 * The one error family of taskwire. Every failure a caller can see is a TaskwireError with a
 * stable string `code` from ERROR_CODES, or a TaskError whose `code` is one the contract declared.
 * Both cross the wire as plain JSON (toJSON / errorFromJSON) and come back as the same typed thing.
 * Recognition goes by a brand, not `instanceof` alone: two copies of the package in one process
 * (a service and its generated client pulling different versions) would break `instanceof`.
 */

export const ERROR_CODES = {
  /** Arguments or results did not match the contract's schema. */
  VALIDATION: 'VALIDATION',
  /** The call's deadline passed before a result arrived. */
  TIMEOUT: 'TIMEOUT',
  /** The handler failed with an undeclared error, or returned output that broke the contract. */
  INTERNAL: 'INTERNAL',
  /** The worker does not know the task path. */
  UNKNOWN_TASK: 'UNKNOWN_TASK',
  /** Redis could not be reached, or the connection failed under a call. */
  CONNECTION: 'CONNECTION',
  /** The serialized call is larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The caller aborted the call. */
  CANCELLED: 'CANCELLED',
  /** Client and worker disagree on the task's schemas in a way that breaks this call. */
  CONTRACT_MISMATCH: 'CONTRACT_MISMATCH',
  /** A message on the wire could not be understood (bad envelope, unknown protocol version). */
  PROTOCOL: 'PROTOCOL',
  /** Nobody serves the queue: no worker sent a heartbeat recently. */
  NO_WORKERS: 'NO_WORKERS',
  /** The client or worker was closed while the call was in flight. */
  CLOSED: 'CLOSED',
  /** The call ran out of attempts or deliveries and was moved to the dead-letter stream. */
  DEAD_LETTERED: 'DEAD_LETTERED',
  /** The idempotency key is held by a call with another task or input (within its ttl). */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  /** No detached call has this id: never sent, or its outcome expired (resultTtlMs). */
  UNKNOWN_CALL: 'UNKNOWN_CALL',
  /**
   * With the `durability` option: Redis took the call, but fewer replicas than asked confirmed it
   * before the call's deadline (docs/SENTINEL.md). The call may still run; a failover may lose it.
   */
  NOT_REPLICATED: 'NOT_REPLICATED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

// A string key rather than a symbol: its type is the same in every copy of the package.
const BRAND = '~taskwire';

export interface SerializedError {
  code: string;
  message: string;
  data?: unknown;
  /** True when the code is one the task's contract declares. */
  defined: boolean;
  /** False when the worker said this error must not be retried. */
  retryable?: boolean;
}

export interface TaskwireErrorOptions<D> {
  data?: D;
  cause?: unknown;
  retryable?: boolean;
}

/** A built-in failure with a stable code; `data` carries detail (zod issues, limits, task path). */
export class TaskwireError<C extends string = ErrorCode, D = unknown> extends Error {
  /** The brand isTaskwireError looks for; a prototype getter, so it is not an own property. */
  get '~taskwire'(): 'error' {
    return 'error';
  }
  readonly code: C;
  readonly data: D;
  readonly defined: boolean = false;
  /** Whether retrying could help; handlers may set false to stop retries. */
  readonly retryable: boolean | undefined;

  constructor(code: C, message: string, options: TaskwireErrorOptions<D> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskwireError';
    this.code = code;
    this.data = options.data as D;
    this.retryable = options.retryable;
  }

  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message, defined: this.defined };
    if (this.data !== undefined) out.data = this.data;
    if (this.retryable !== undefined) out.retryable = this.retryable;
    return out;
  }
}

/** An error the contract declares for a task; `data` is typed by the declared schema. */
export class TaskError<C extends string = string, D = unknown> extends TaskwireError<C, D> {
  override readonly defined = true;
  constructor(code: C, data: D, message?: string, options: { retryable?: boolean } = {}) {
    super(code, message ?? code, { data, ...options });
    this.name = 'TaskError';
  }
}

/** Brand check that survives duplicated package copies. */
export function isTaskwireError(err: unknown): err is TaskwireError<string, unknown> {
  return typeof err === 'object' && err !== null && (err as Record<string, unknown>)[BRAND] === 'error';
}

/** Rebuilds the error a worker sent; unknown codes stay as they are, never collapsed to a string. */
export function errorFromJSON(json: SerializedError): TaskwireError<string, unknown> {
  const options = json.retryable === undefined ? {} : { retryable: json.retryable };
  if (json.defined) return new TaskError(json.code, json.data, json.message, options);
  return new TaskwireError(json.code, json.message, { data: json.data, ...options });
}

/** Wraps anything thrown that is not ours as INTERNAL, keeping only its message. */
export function toTaskwireError(err: unknown): TaskwireError<string, unknown> {
  if (isTaskwireError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TaskwireError(ERROR_CODES.INTERNAL, message, { cause: err });
}
