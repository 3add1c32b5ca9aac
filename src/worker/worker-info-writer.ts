import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { ownPackage } from '../own-package.js';
import type { QueueKeys } from '../wire/keys.js';
import { encodeWorkerInfo, type WorkerTaskInfo } from '../wire/worker-info.js';
import { TASK_SCHEMA_REWRITE_MS, TASK_SCHEMA_TTL_MS } from '../wire/task-schema-record.js';
import type { WorkerRegistry } from '../transport/worker-registry.js';
import { ThroughputWindow } from './throughput-window.js';
import type { QueueTally } from './worker-events.js';

export interface WorkerInfoWriterOptions {
  id: string;
  queues: readonly QueueKeys[];
  concurrency: number;
  /** The tasks served on each queue, by queue name. */
  tasks: ReadonlyMap<string, readonly WorkerTaskInfo[]>;
  /** Schema records of the tasks served on each queue (wire/task-schema-record.ts), by queue name. */
  schemas: ReadonlyMap<string, ReadonlyArray<{ digest: string; text: string }>>;
  /** The record lives as long as a heartbeat counts: a worker that dies takes it along. */
  ttlMs: number;
  tallies: ReadonlyMap<string, QueueTally>;
  running: () => number;
  registry: () => WorkerRegistry;
  /** True once close() began (or cut a start short): a write its closed connection refused is no news. */
  closing: () => boolean;
  logger: Logger;
}

function packageVersion(): string {
  try {
    return ownPackage().version;
  } catch {
    // A bundler that dropped package.json: the record still says everything else.
    return 'unknown';
  }
}

/**
 * Writes the worker's info record (wire/worker-info.ts) on each queue it serves, from the
 * maintenance tick, and deletes them on close. A refused write (an ACL without the key, OOM) is
 * said once and never stops the heartbeat: the record is for people, the heartbeat for clients.
 */
export class WorkerInfoWriter {
  readonly #o: WorkerInfoWriterOptions;
  readonly #windows = new Map<string, ThroughputWindow>();
  readonly #startedAt = Date.now();
  readonly #host = hostname();
  readonly #version = packageVersion();
  #warned = false;
  #schemasAt = Number.NEGATIVE_INFINITY;

  constructor(options: WorkerInfoWriterOptions) {
    this.#o = options;
    for (const k of options.queues) this.#windows.set(k.queue, new ThroughputWindow());
  }

  async publish(): Promise<void> {
    const o = this.#o;
    const now = Date.now();
    const registry = o.registry();
    const queueNames = o.queues.map((k) => k.queue);
    // Schema records are content-addressed and shared by every worker of a version: rewritten
    // once a minute, not per tick, so a tick costs what it did before.
    if (now - this.#schemasAt >= TASK_SCHEMA_REWRITE_MS) {
      this.#schemasAt = now;
      await this.#guard(Promise.all(o.queues.map((k) => registry.writeSchemas(k, o.schemas.get(k.logical) ?? [], TASK_SCHEMA_TTL_MS))));
    }
    await this.#guard(
      Promise.all(
        o.queues.map((k) => {
          const totals = o.tallies.get(k.queue) ?? { succeeded: 0, failed: 0 };
          const window = this.#windows.get(k.queue) ?? new ThroughputWindow();
          window.sample(now, totals);
          const record = encodeWorkerInfo({
            id: o.id,
            host: this.#host,
            pid: process.pid,
            version: this.#version,
            concurrency: o.concurrency,
            queues: queueNames,
            startedAt: this.#startedAt,
            at: now,
            running: o.running(),
            tasks: o.tasks.get(k.logical) ?? [],
            settled: { succeeded: totals.succeeded, failed: totals.failed },
            throughput: window.snapshot(now),
          });
          return registry.write(k, o.id, record, o.ttlMs);
        }),
      ),
    );
  }

  async remove(): Promise<void> {
    const registry = this.#o.registry();
    await this.#guard(Promise.all(this.#o.queues.map((k) => registry.remove(k, this.#o.id))));
  }

  async #guard(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (this.#warned || this.#o.closing()) return;
      this.#warned = true;
      this.#o.logger.warn('taskwire: could not write the worker info record (inspect and the dashboard will show this worker without it); said once', {
        error: String(err),
      });
    }
  }
}
