import type { RateLimit } from '../contract/flow-control.js';
import { DEFAULT_QUEUE } from '../contract/route.js';
import { envelopeRoute } from '../wire/protocol.js';
import type { LimitRule, TakeLimits } from '../transport/take-request.js';
import type { TaskEntry } from './runner.js';

/** Limits every fair group of the worker's queues has (WorkerOptions.groups). */
export interface GroupLimits {
  /** At most this many calls of one group run at once, over all workers. */
  concurrency?: number;
  /** At most `max` calls of one group start in any window of `perMs`, over all workers. */
  rateLimit?: RateLimit;
}

/** What one queue's takes and settles need to know about its limits (lua/include/take-limits.lua). */
export interface QueueLimits {
  /** For the take; undefined when the queue has no limit, so its takes pay nothing for them. */
  readonly take: TakeLimits | undefined;
  /**
   * The scopes whose concurrency slots a call of this queue holds, comma-separated ('' for
   * none), read from its envelope's head as the take read it: its settle gives them back.
   */
  slotScopes(raw: string): string;
}

function rule(rate: RateLimit | undefined, concurrency: number | undefined): LimitRule | undefined {
  if (rate === undefined && concurrency === undefined) return undefined;
  return { ...(rate ? { max: rate.max, perMs: rate.perMs } : {}), ...(concurrency === undefined ? {} : { concurrency }) };
}

/** The limits of `queue`: its tasks' (from the contract) and the worker's group limits. */
export function queueLimits(entries: Iterable<TaskEntry>, queue: string, groups: GroupLimits | undefined): QueueLimits {
  const tasks: Record<string, LimitRule> = {};
  const slotTasks = new Set<string>();
  for (const e of entries) {
    if ((e.task.queue ?? DEFAULT_QUEUE) !== queue) continue;
    const r = rule(e.task.rateLimit, e.task.concurrency);
    if (!r) continue;
    tasks[e.path] = r;
    if (r.concurrency !== undefined) slotTasks.add(e.path);
  }
  const group = groups ? rule(groups.rateLimit, groups.concurrency) : undefined;
  const hasTasks = Object.keys(tasks).length > 0;
  if (!hasTasks && !group) return { take: undefined, slotScopes: () => '' };
  const groupSlots = group?.concurrency !== undefined;
  return {
    take: { ...(hasTasks ? { tasks } : {}), ...(group ? { group } : {}) },
    slotScopes(raw) {
      const { task, group: name } = envelopeRoute(raw);
      const scopes: string[] = [];
      if (task !== undefined && slotTasks.has(task)) scopes.push(`task:${task}`);
      if (name !== undefined && groupSlots) scopes.push(`group:${name}`);
      return scopes.join(',');
    },
  };
}
