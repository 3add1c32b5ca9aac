import { ERROR_CODES, TaskwireError } from '../errors.js';
import type { RouteTable } from '../contract/route.js';
import type { FollowUpStep } from '../wire/envelope.js';
import { DEFAULTS } from '../wire/protocol.js';
import { partitionIndex, partitionQueue } from '../contract/partitions.js';
import { RUN_KEY } from '../wire/keys.js';

/** What a call option `then` or `catch` may be: a task path, or one with follow-ups of its own. */
export type FollowUpTarget = string | { task: string; then?: FollowUpTarget; catch?: FollowUpTarget };

/** The longest call id (wire/envelope.ts): a chain's ids (`<id>.then.catch…`) must fit. */
const MAX_ID = 128;

/** The ids of a call's follow-ups, known before it is sent. */
export function followUpId(callId: string, kind: 'then' | 'catch'): string {
  return `${callId}.${kind}`;
}

/**
 * Resolves `then` and `catch` call options into the steps the envelope carries (queue, timeout,
 * ttl, fingerprint of each task, from this client's routes) and checks them: a target naming no
 * task of the contract, or a chain whose ids would not fit, is VALIDATION before anything is sent.
 * Undefined when the call names none (nearly every call: one property read each).
 */
export function followUpPlan(
  routes: RouteTable,
  from: string,
  callId: string,
  options: { then?: unknown; catch?: unknown },
  defaultTimeoutMs: number | undefined,
): { then?: FollowUpStep; catch?: FollowUpStep } | undefined {
  if (options.then === undefined && options.catch === undefined) return undefined;
  const step = (target: unknown, id: string): FollowUpStep => {
    const spec = typeof target === 'string' ? { task: target } : target;
    if (typeof spec !== 'object' || spec === null || typeof (spec as { task?: unknown }).task !== 'string') {
      throw invalid(from, `a follow-up is a task path or { task, then?, catch? }, got ${describe(target)}`);
    }
    const { task, then, catch: onFailure } = spec as { task: string; then?: unknown; catch?: unknown };
    const route = routes.get(task);
    if (!route) throw invalid(from, `follow-up "${task}" names no task of the contract`, { followUp: task });
    if (id.length > MAX_ID) throw invalid(from, `follow-up chain too long: the id ${id.slice(0, 40)}… would pass ${MAX_ID} characters`);
    const out: FollowUpStep = {
      task,
      // A follow-up of a partitioned queue goes where its `run:` key maps, so `result(id)` finds it.
      queue: route.partitions === undefined ? route.queue : partitionQueue(route.queue, partitionIndex(`${RUN_KEY}${id}`, route.partitions)),
      timeout: route.timeoutMs ?? defaultTimeoutMs ?? DEFAULTS.timeoutMs,
      ttl: route.resultTtlMs ?? DEFAULTS.resultTtlMs,
    };
    if (route.fingerprint) out.fp = route.fingerprint;
    if (then !== undefined) out.then = step(then, followUpId(id, 'then'));
    if (onFailure !== undefined) out.catch = step(onFailure, followUpId(id, 'catch'));
    return out;
  };
  const plan: { then?: FollowUpStep; catch?: FollowUpStep } = {};
  if (options.then !== undefined) plan.then = step(options.then, followUpId(callId, 'then'));
  if (options.catch !== undefined) plan.catch = step(options.catch, followUpId(callId, 'catch'));
  return plan;
}

function invalid(from: string, message: string, data: Record<string, unknown> = {}): TaskwireError<string, unknown> {
  return new TaskwireError(ERROR_CODES.VALIDATION, `${from}: ${message}`, { data: { task: from, ...data } });
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
