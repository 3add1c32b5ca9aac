import type { WorkInput, WorkOutput } from '../workload.js';

/** Everything a system needs to find its keys: the Redis URL and a namespace fresh per segment. */
export interface Endpoint {
  url: string;
  /** Key prefix (taskwire, BullMQ) or key namespace (ceiling) of this segment. */
  namespace: string;
}

/** The caller side of a system, as the load generator sees it. */
export interface BenchClient {
  call(input: WorkInput): Promise<WorkOutput>;
  close(): Promise<void>;
}

/** A running worker (one per worker process). */
export interface BenchWorker {
  close(): Promise<void>;
}

/** Worker implementations, one per child-process kind. */
export type WorkerKind = 'taskwire' | 'bullmq' | 'ceiling';

/** The systems compared; taskwire appears once per reply mode, served by the same workers. */
export type SystemName = 'taskwire-key' | 'taskwire-pubsub' | 'bullmq' | 'ceiling';

export interface System {
  name: SystemName;
  label: string;
  worker: WorkerKind;
  connect(endpoint: Endpoint): Promise<BenchClient>;
  /** Enqueues without anyone serving the queue, to weigh a queued call in Redis. */
  enqueueOnly(endpoint: Endpoint, input: WorkInput, count: number): Promise<void>;
}

/** Per-call deadline for every system: long enough that only a hang reaches it. */
export const CALL_TIMEOUT_MS = 60_000;
