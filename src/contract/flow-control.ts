/**
 * The flow-control options a task declares and a call may set (docs/SCHEDULING.md): priority,
 * rate limit and global concurrency, and the fair-group name rule. Rules live here, in the
 * contract layer, so task(), the client's call options and the wire agree on one definition.
 */

/** Largest priority (1 is the most urgent; a call without one is taken before due prioritized calls). As BullMQ's range. */
export const MAX_PRIORITY = 2_097_152;

/** Fair group names: no `"` or `\` (scripts read the group by a prefix match), no braces, no spaces. */
export const GROUP_NAME = /^[A-Za-z0-9_.:@#-]{1,128}$/;

/** At most `max` calls of the task start in any window of `perMs`, over all workers of its queue. */
export interface RateLimit {
  max: number;
  perMs: number;
}

/** Why a priority is invalid, or undefined. */
export function priorityProblem(priority: unknown): string | undefined {
  if (Number.isInteger(priority) && (priority as number) >= 1 && (priority as number) <= MAX_PRIORITY) return undefined;
  return `priority must be an integer from 1 (most urgent) to ${MAX_PRIORITY}, got ${show(priority)}`;
}

/** Why a rate limit is invalid, or undefined. */
export function rateLimitProblem(limit: unknown): string | undefined {
  if (typeof limit !== 'object' || limit === null) return `rateLimit must be { max, perMs }, got ${show(limit)}`;
  const { max, perMs } = limit as Record<string, unknown>;
  if (!Number.isInteger(max) || (max as number) < 1) return `rateLimit.max must be an integer >= 1, got ${show(max)}`;
  if (!Number.isInteger(perMs) || (perMs as number) < 1) return `rateLimit.perMs must be an integer number of milliseconds >= 1, got ${show(perMs)}`;
  return undefined;
}

/** Why a global concurrency limit is invalid, or undefined. */
export function concurrencyProblem(concurrency: unknown): string | undefined {
  return Number.isInteger(concurrency) && (concurrency as number) >= 1 ? undefined : `concurrency must be an integer >= 1, got ${show(concurrency)}`;
}

/** Why a fair group name is invalid, or undefined. */
export function groupProblem(group: unknown): string | undefined {
  if (typeof group === 'string' && GROUP_NAME.test(group)) return undefined;
  return `group must be 1-128 characters of A-Z a-z 0-9 _ . : @ # -, got ${show(group)}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
