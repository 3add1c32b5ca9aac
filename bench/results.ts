import type { CpuPerCall } from './cpu.js';
import type { LoadResult } from './load.js';
import type { BenchMode } from './options.js';
import type { SchedulingResults } from './scheduling.js';
import type { WorkflowResults } from './workflows.js';
import type { SystemName } from './systems/system.js';

/** The shape of bench/results.json. The smoke test checks a run against it. */

/** One repetition: the load figures and the CPU each party spent per call. */
export interface Rep extends LoadResult {
  cpu: CpuPerCall;
  /** Share of the run's calls each worker process handled (1 entry per process). */
  workerShares: number[];
  /** Runs made for this rep: more than 1 when outside load disturbed the earlier ones. */
  attempts: number;
}

/** One configuration, measured `reps.length` times; headline figures are medians over reps. */
export interface Measurement {
  system: SystemName;
  workers: number;
  inFlight: number;
  payloadBytes: number;
  /** The handler burns ~cpuWorkMs of CPU per call instead of returning at once. */
  cpuBound: boolean;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Smallest share of calls one worker process handled (median over reps); 1/workers is even. */
  minWorkerShare: number;
  /** CPU microseconds per call in the bench client's process, the worker process(es), Redis. */
  cpuUsPerCall: CpuPerCall;
  /** Failed calls over all reps (a healthy run has none). */
  errors: number;
  reps: Rep[];
}

export interface ClientMemory {
  replyMode: 'key' | 'pubsub';
  /** Process RSS after creating the client, before any call. */
  baselineRssMb: number;
  /** RSS and heap with `inFlight` calls pending (queued, no worker running). */
  inFlight: number;
  inFlightRssMb: number;
  inFlightHeapMb: number;
  /** Heap still reachable with those calls pending (after a forced GC): what they really hold. */
  inFlightLiveHeapMb: number;
  /** Heap used after a forced GC, with no call pending, after `checkpointCalls` and `totalCalls`. */
  checkpointCalls: number;
  heapAtCheckpointMb: number;
  totalCalls: number;
  heapAtTotalMb: number;
  /** (heapAtTotal - heapAtCheckpoint) / heapAtCheckpoint. */
  heapGrowth: number;
  rssAtTotalMb: number;
}

export interface RedisMemory {
  system: SystemName;
  queued: number;
  bytesPerCall: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Results {
  meta: {
    mode: BenchMode;
    startedAt: string;
    durationSec: number;
    node: string;
    redis: string;
    cpus: number;
    cpuModel: string;
    note: string;
    settings: {
      reps: number;
      workerConcurrency: number;
      basePayloadBytes: number;
      seqWarmupCalls: number;
      /** Absent in runs before a0d4a8c (no warm-up burst). */
      segmentWarmupMs?: number;
      seqCalls: number;
      warmupMs: number;
      windowMs: number;
      sweepInFlight: number;
      cpuWorkMs: number;
      spinRounds: number;
    };
  };
  measurements: Measurement[];
  clientMemory: ClientMemory[];
  redisMemory: RedisMemory[];
  /** Absent in runs before scheduling existed (issue 15). */
  scheduling?: SchedulingResults;
  /** Absent in runs before workflows existed (issue 14). */
  workflows?: WorkflowResults;
  targets: Target[];
}
