import { RUN_KEY } from '../wire/keys.js';
import type { CallOptions } from './types.js';

/**
 * A call made by a handler through ctx.client (worker/child-calls.ts): a child of the call that
 * handler runs. It ends no later than its parent, is cancelled with it, carries its headers, and
 * runs once per `key` however often the parent is retried or redelivered.
 */
export interface ChildLink {
  /** Unique among the parent's children, stable across its attempts (its position, or the caller's key). */
  key: string;
  parentId: string;
  /** The parent's deadline: the child's is never later. */
  notAfter: number;
  /** The parent's ctx.signal. */
  signal: AbortSignal;
  headers: Readonly<Record<string, string>>;
}

/** Idempotency keys of child calls: `child:<parent id>:<key>`. */
export const CHILD_KEY = 'child:';

export function isReservedKey(key: string | undefined): boolean {
  return key !== undefined && (key.startsWith(RUN_KEY) || key.startsWith(CHILD_KEY));
}

/**
 * A child's key outlives its parent's deadline by this much: a parent retried at its deadline
 * still finds what its children did. (Retries and redeliveries happen before the deadline.)
 */
const CHILD_KEY_GRACE_MS = 60_000;

/** The options of a child call: its parent's headers under its own, both signals, its key. */
export function childOptions<O extends CallOptions>(options: O, link: ChildLink): O {
  const signal = options.signal ? AbortSignal.any([options.signal, link.signal]) : link.signal;
  const headers = options.headers ? { ...link.headers, ...options.headers } : Object.keys(link.headers).length > 0 ? { ...link.headers } : undefined;
  return {
    ...options,
    signal,
    headers,
    idempotencyKey: `${CHILD_KEY}${link.parentId}:${link.key}`,
    idempotencyTtlMs: Math.max(link.notAfter - Date.now(), 0) + CHILD_KEY_GRACE_MS,
  };
}

/** A detached child's call id: the same for every attempt of its parent. */
export function childRunId(link: ChildLink): string {
  return `${link.parentId}/${link.key}`;
}
