import { z } from 'zod';
import { isQueueName } from '../contract/names.js';
import { isObject, isString, optional } from './hand-checks.js';

/**
 * A follow-up a call names: enqueued by the worker that settles the call, as a detached call of
 * id `<call id>.then` or `<call id>.catch`, even when the caller is gone. The caller resolved
 * everything the worker needs (the queue, the deadline, how long the outcome is kept), so a
 * worker enqueues follow-ups of tasks it does not serve.
 */
export interface FollowUpStep {
  /** Dotted task path. */
  task: string;
  queue: string;
  /** Its deadline counts this many ms from when it is enqueued. */
  timeout: number;
  /** How long its outcome is kept (run:<id>), ms. */
  ttl: number;
  fp?: string;
  then?: FollowUpStep;
  catch?: FollowUpStep;
}

export const followUpStepSchema: z.ZodType<FollowUpStep> = z.object({
  task: z.string().min(1).max(512),
  queue: z.string().refine(isQueueName, 'not a queue name'),
  timeout: z.number().int().positive(),
  ttl: z.number().int().positive(),
  fp: z.string().max(128).optional(),
  get then() {
    return followUpStepSchema.optional();
  },
  get catch() {
    return followUpStepSchema.optional();
  },
});

/** The hand check of the hot path, held to followUpStepSchema by test/core/envelope.test.ts. */
export function isFollowUpStep(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v['task'], 1, 512) &&
    typeof v['queue'] === 'string' &&
    isQueueName(v['queue']) &&
    Number.isSafeInteger(v['timeout']) &&
    (v['timeout'] as number) > 0 &&
    Number.isSafeInteger(v['ttl']) &&
    (v['ttl'] as number) > 0 &&
    optional(v['fp'], (fp) => isString(fp, 0, 128)) &&
    optional(v['then'], isFollowUpStep) &&
    optional(v['catch'], isFollowUpStep)
  );
}
