import type { Connection } from '../transport/connection.js';
import { Durability, type DurabilityOptions } from '../transport/durability.js';
import { EventStore } from '../transport/event-store.js';
import { PayloadStore } from '../transport/payload-store.js';
import { QueueStore } from '../transport/queue-store.js';
import { RunStore } from '../transport/run-store.js';
import { ScheduleStore } from '../transport/schedule-store.js';
import { WorkerRegistry } from '../transport/worker-registry.js';

/** The worker's stores, all on its one command connection. */
export interface WorkerStores {
  queues: QueueStore;
  runs: RunStore;
  payloads: PayloadStore;
  registry: WorkerRegistry;
  schedules: ScheduleStore;
  events: EventStore;
}

/**
 * Opens the stores on `cmd`. With durability on, a completion is re-sent while replicas do not
 * confirm it for at most `leaseMs`: past the lease another worker may hold the call.
 */
export function workerStores(cmd: Connection, durability: Required<DurabilityOptions> | undefined, leaseMs: number, prefix: string): WorkerStores {
  return {
    queues: new QueueStore(cmd, durability && { durability: new Durability(cmd, durability), completeWithinMs: leaseMs }),
    runs: new RunStore(cmd),
    payloads: new PayloadStore(cmd),
    registry: new WorkerRegistry(cmd),
    schedules: new ScheduleStore(cmd),
    events: new EventStore(cmd, prefix),
  };
}
