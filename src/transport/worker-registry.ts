import { partitionsKey, type QueueKeys } from '../wire/keys.js';
import { retryRefusedUnrun } from './cluster-redirects.js';
import type { Connection } from './connection.js';

/**
 * The commands on workers' info records (`<p>:{q}:worker:<id>`, wire/worker-info.ts): a worker
 * writes its own with each maintenance tick and deletes it on close; the admin reads them for
 * the live workers the `workers` ZSET names. Plain SET/MGET outside Lua: a record is read by
 * people and never decides where a call goes, so it has no place in the call path's scripts.
 */
export class WorkerRegistry {
  readonly #redis: Connection;

  constructor(redis: Connection) {
    this.#redis = redis;
  }

  async write(k: QueueKeys, workerId: string, record: string, ttlMs: number): Promise<void> {
    // Auto-pipelined beside other writes, a SET refused with MOVED while the slot moves is not
    // followed by ioredis (cluster-redirects.ts); a SET is safe to send again anyway.
    await retryRefusedUnrun(() => this.#redis.set(k.worker(workerId), record, 'PX', ttlMs));
  }

  async remove(k: QueueKeys, workerId: string): Promise<void> {
    await this.#redis.del(k.worker(workerId));
  }

  /** Schema records (wire/task-schema-record.ts) by digest, in one pipeline. */
  async writeSchemas(k: QueueKeys, records: ReadonlyArray<{ digest: string; text: string }>, ttlMs: number): Promise<void> {
    if (records.length === 0) return;
    const p = this.#redis.pipeline();
    for (const r of records) p.set(k.schema(r.digest), r.text, 'PX', ttlMs);
    const failed = (await p.exec())?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Schema records by digest, in order; null where none is stored (expired, or an older worker's). */
  async readSchemas(k: QueueKeys, digests: readonly string[]): Promise<Array<string | null>> {
    if (digests.length === 0) return [];
    return this.#redis.mget(...digests.map((d) => k.schema(d)));
  }

  /**
   * Records that `queue` is partitioned (docs/PARTITIONS.md), for the admin to show its
   * partitions as one queue. No TTL: the partitions' keys (dead letters, say) outlive the workers.
   */
  async markPartitions(prefix: string, queue: string, partitions: number): Promise<void> {
    await this.#redis.set(partitionsKey(prefix, queue), String(partitions));
  }

  /** The records of these workers, in order; null where a worker has none (gone, or it writes none). */
  async read(k: QueueKeys, workerIds: readonly string[]): Promise<Array<string | null>> {
    if (workerIds.length === 0) return [];
    // One MGET: every record of a queue shares its hash tag, so this works on a cluster too.
    return this.#redis.mget(...workerIds.map((id) => k.worker(id)));
  }
}
