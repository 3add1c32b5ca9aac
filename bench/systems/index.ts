import { bullmqSystem, startBullmqWorker } from './bullmq.js';
import { ceilingSystem, startCeilingWorker } from './ceiling.js';
import type { BenchWorker, Endpoint, System, WorkerKind } from './system.js';
import { startTaskwireWorker, taskwireSystem } from './taskwire.js';

/** The systems in the order the report shows them. */
export const SYSTEMS: readonly System[] = [taskwireSystem('key'), taskwireSystem('pubsub'), bullmqSystem, ceilingSystem];

export const WORKER_KINDS: readonly WorkerKind[] = ['taskwire', 'bullmq', 'ceiling'];

const STARTERS: Record<WorkerKind, (endpoint: Endpoint, concurrency: number) => Promise<BenchWorker>> = {
  taskwire: startTaskwireWorker,
  bullmq: startBullmqWorker,
  ceiling: startCeilingWorker,
};

export function startWorker(kind: WorkerKind, endpoint: Endpoint, concurrency: number): Promise<BenchWorker> {
  return STARTERS[kind](endpoint, concurrency);
}

export function isWorkerKind(value: string | undefined): value is WorkerKind {
  return value !== undefined && (WORKER_KINDS as readonly string[]).includes(value);
}
