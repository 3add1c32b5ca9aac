import { DEFAULTS as PROTOCOL_DEFAULTS } from '../wire/protocol.js';

/** A worker's option defaults; those a client must agree with come from the protocol's. */
export const WORKER_DEFAULTS = {
  prefix: PROTOCOL_DEFAULTS.prefix,
  workerTtlMs: PROTOCOL_DEFAULTS.workerTtlMs,
  maxPayloadBytes: PROTOCOL_DEFAULTS.maxPayloadBytes,
  replyTtlMs: PROTOCOL_DEFAULTS.replyTtlMs,
  priorityAgingMs: PROTOCOL_DEFAULTS.priorityAgingMs,
  concurrency: 16,
  leaseMs: 30_000,
  maintenanceIntervalMs: 1_000,
  maxDeliveries: 5,
  deadlineGraceMs: 5_000,
  deadLetterMaxLen: 10_000,
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
} as const;
