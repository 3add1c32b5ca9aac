import { partitionIndex } from '../contract/partitions.js';
import { queueKeysOf, type QueueKeys } from '../wire/keys.js';

/** The partitions of one partitioned queue, as a client sends to them (docs/PARTITIONS.md). */
export interface Partitions {
  readonly keys: readonly QueueKeys[];
  /** The next partition a call without a key goes to. */
  next: number;
}

export function partitionKeys(prefix: string, queue: string, partitions: number): Partitions {
  return { keys: queueKeysOf(prefix, queue, partitions), next: 0 };
}

/**
 * Where a call goes: by `key` (a partition key or an idempotency key), always the same partition
 * for the same key, so calls with one key are taken in the order they were sent and one
 * idempotency key has one owner; without one, round-robin.
 */
export function pickPartition(parts: Partitions, key: string | undefined): QueueKeys {
  const n = parts.keys.length;
  let i: number;
  if (key === undefined) {
    i = parts.next;
    parts.next = i + 1 === n ? 0 : i + 1;
  } else i = partitionIndex(key, n);
  return parts.keys[i] as QueueKeys;
}

/**
 * The partitions to look for a detached call's `run:` key in, most likely first: the one its key
 * maps to (where it is unless it was sent with a partitionKey), then the others.
 */
export function lookupOrder(parts: readonly QueueKeys[], runKey: string): QueueKeys[] {
  const first = partitionIndex(runKey, parts.length);
  return [...parts.slice(first), ...parts.slice(0, first)];
}
