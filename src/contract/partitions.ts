/**
 * Partitioned queues (docs/PARTITIONS.md): a queue declared with `partitions: K` (K > 1) is K
 * sub-queues `<queue>#0` … `<queue>#K-1`, each its own hash tag, so on Redis Cluster they land
 * on different slots. This file holds the rules every peer must share — the names, the bounds and
 * the hash that maps a partition key to a partition — as pure functions (no Redis).
 */
import { QUEUE_NAME_MAX } from './names.js';

/** Most partitions a queue may have. */
export const MAX_PARTITIONS = 1024;

/** Why `value` is not a valid partition count, or undefined when it is one. */
export function partitionsProblem(value: unknown): string | undefined {
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PARTITIONS) return undefined;
  return `partitions must be an integer from 1 to ${MAX_PARTITIONS} (1: not partitioned), got ${typeof value === 'number' ? String(value) : typeof value}`;
}

/** Why `queue` cannot be split into `partitions` sub-queues (their names would be too long), or undefined. */
export function partitionedNameProblem(queue: string, partitions: number): string | undefined {
  if (partitions <= 1) return undefined;
  const longest = partitionQueue(queue, partitions - 1);
  return longest.length <= QUEUE_NAME_MAX ? undefined : `queue ${JSON.stringify(queue)} with ${partitions} partitions needs sub-queue names such as ${JSON.stringify(longest)}, over ${QUEUE_NAME_MAX} characters`;
}

/** The name of partition `index` of `queue`. */
export function partitionQueue(queue: string, index: number): string {
  return `${queue}#${index}`;
}

/** The queues a queue of `partitions` partitions is made of (itself when it has one). */
export function partitionQueues(queue: string, partitions: number | undefined): string[] {
  if (partitions === undefined || partitions <= 1) return [queue];
  return Array.from({ length: partitions }, (_, i) => partitionQueue(queue, i));
}

const encoder = new TextEncoder();

/**
 * The partition of `key` among `partitions`: FNV-1a (32 bit) of its UTF-8 bytes, mod partitions.
 * Part of the protocol: a peer in another language must place a key where this one does, or
 * calls with one key lose their order and idempotency keys their single owner.
 */
export function partitionIndex(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  // ASCII keys (nearly all) are their own UTF-8 bytes: hashed without encoding them.
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return fnvBytes(encoder.encode(key), partitions);
    h = Math.imul(h ^ c, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

function fnvBytes(bytes: Uint8Array, partitions: number): number {
  let h = 0x811c9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  return (h >>> 0) % partitions;
}
