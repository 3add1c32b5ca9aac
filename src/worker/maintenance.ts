import type { Logger } from '../logger.js';
import type { QueueStore } from '../transport/queue-store.js';
import type { WorkerRegistry } from '../transport/worker-registry.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Running } from './call-handler.js';
import type { EventPublisher } from './event-publisher.js';
import type { TaskRecords } from './task-records.js';
import type { QueueTally } from './worker-events.js';
import { WorkerInfoWriter } from './worker-info-writer.js';

export interface MaintenanceOptions {
  id: string;
  queues: readonly QueueKeys[];
  concurrency: number;
  workerTtlMs: number;
  agingMs: number;
  intervalMs: number;
  /** The tasks served, for the info record. */
  records: TaskRecords;
  tallies: ReadonlyMap<string, QueueTally>;
  running: ReadonlySet<Running>;
  store: () => QueueStore;
  registry: () => WorkerRegistry;
  taskEvents: Pick<EventPublisher, 'refresh'>;
  /** While the worker runs: a tick is a heartbeat then, and its failures are news. */
  live: () => boolean;
  /** Once close() began, or cut a start short. */
  closing: () => boolean;
  logger: Logger;
}

/**
 * The worker's upkeep, every `intervalMs` while it runs: its heartbeat and the recovery of its
 * queues (maintain-11.lua), its info record beside the heartbeat, and which tasks are watched.
 * run(false) says goodbye instead: the heartbeat and the info record are removed.
 */
export class Maintenance {
  readonly #o: MaintenanceOptions;
  // Who this worker is, for operators (`taskwire inspect`, the dashboard): beside the heartbeat.
  readonly #info: WorkerInfoWriter;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MaintenanceOptions) {
    this.#o = options;
    this.#info = new WorkerInfoWriter({
      id: options.id,
      queues: options.queues,
      concurrency: options.concurrency,
      tasks: options.records.tasks,
      schemas: options.records.schemas,
      ttlMs: options.workerTtlMs,
      tallies: options.tallies,
      running: () => options.running.size,
      registry: options.registry,
      closing: options.closing,
      logger: options.logger,
    });
  }

  async run(alive = this.#o.live()): Promise<void> {
    const o = this.#o;
    const s = o.store();
    const request = { workerId: o.id, workerTtlMs: o.workerTtlMs, limit: 1000, alive, agingMs: o.agingMs };
    // What this worker holds per queue: its record for a fast hand-back if it dies (maintain-11.lua).
    const held = (k: QueueKeys) => [...new Set([...o.running].filter((r) => r.keys === k).map((r) => r.batch))];
    const info = this.#info;
    await Promise.all([...o.queues.map((k) => s.maintain(k, { ...request, held: held(k) })), alive ? info.publish() : info.remove(), alive ? o.taskEvents.refresh() : undefined]);
  }

  start(): void {
    this.#timer = setInterval(() => {
      // One cut short by close() (its connection closed under it) is no news.
      this.run().catch((err: unknown) => {
        if (this.#o.live()) this.#o.logger.warn('taskwire: maintenance failed', { error: String(err) });
      });
    }, this.#o.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
