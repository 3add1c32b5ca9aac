import type { Admin } from '../admin/create-admin.js';
import { isDeadLetterId } from '../admin/dead-letters.js';
import { CALL_STATES, type CallState } from '../admin/calls.js';
import { isEmptyFilter, parseInputCondition, parseSince, type DeadLetterFilter } from '../admin/dead-letter-filter.js';
import { deadLetterView } from '../admin/dead-letter-view.js';
import type { Overview } from '../admin/overview.js';
import { queueNameProblem } from '../contract/names.js';
import { isTaskwireError } from '../errors.js';
import { HttpError } from './http.js';

/**
 * The dashboard's JSON API: each route a thin shell over one admin function, so the page shows
 * the very figures `taskwire inspect --json` prints.
 */


export interface Api {
  overview(): Promise<Overview>;
  calls(queue: string, query: URLSearchParams): Promise<unknown>;
  deadLetters(queue: string, query: URLSearchParams): Promise<unknown>;
  deadLetter(queue: string, id: string): Promise<unknown>;
  act(queue: string, id: string | undefined, verb: 'replay' | 'purge', body: unknown): Promise<unknown>;
}

/** A filter from strings (query parameters or a JSON body): the CLI's flags, under the same names. */
function filterFrom(get: (name: string) => string | undefined, where: readonly string[]): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const task = get('task');
  const reason = get('reason');
  const since = get('since');
  if (task) filter.task = task;
  if (reason) filter.reason = reason;
  try {
    if (since) filter.since = parseSince(since, Date.now());
    const conditions = where.filter((w) => w !== '').map(parseInputCondition);
    if (conditions.length > 0) filter.where = conditions;
  } catch (err) {
    throw new HttpError(400, isTaskwireError(err) ? err.message : String(err));
  }
  return filter;
}

function bodyFilter(body: unknown): { filter: DeadLetterFilter; all: boolean } {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (name: string) => (typeof b[name] === 'string' ? (b[name] as string) : undefined);
  const where = Array.isArray(b['where']) ? b['where'].filter((w): w is string => typeof w === 'string') : typeof b['where'] === 'string' ? [b['where']] : [];
  return { filter: filterFrom(text, where), all: b['all'] === true };
}

/**
 * `queueListTtlMs`: queues are found by SCAN over the keyspace, so once per this period, not per
 * request; a new queue shows up within it.
 */
export function createApi(admin: Admin, queueListTtlMs: number): Api {
  let known: { names: string[]; at: number } | undefined;
  const queues = async (fresh = false): Promise<string[]> => {
    if (fresh || !known || Date.now() - known.at > queueListTtlMs) known = { names: await admin.queues(), at: Date.now() };
    return known.names;
  };
  /**
   * Redis known to be away (the admin's connection failed and is not back): 503 now, naming
   * where and why, instead of waiting out the command timeout (10 s in the CLI, as long as a
   * Prometheus scrape's default timeout). Not before a first failure: a connection still opening
   * is waited for.
   */
  const reachable = (): void => {
    const c = admin.connection();
    if (!c.ready && c.lastError !== undefined) throw new HttpError(503, `cannot reach Redis at ${c.redis}: ${c.lastError}`);
  };
  /** A queue that exists under the prefix (looked up afresh once before saying it does not). */
  const queue = async (name: string): Promise<string> => {
    reachable();
    const problem = queueNameProblem(name);
    if (problem !== undefined) throw new HttpError(400, `bad queue name ${JSON.stringify(name)}: ${problem}`);
    if ((await queues()).includes(name) || (await queues(true)).includes(name)) return name;
    throw new HttpError(404, `unknown queue ${JSON.stringify(name)} under prefix "${admin.prefix}"`);
  };
  const entryId = (id: string): string => {
    if (!isDeadLetterId(id)) throw new HttpError(400, `bad dead letter id ${JSON.stringify(id)}`);
    return id;
  };

  return {
    overview: async () => {
      reachable();
      return admin.overview({ queues: await queues() });
    },

    async calls(name, query) {
      const q = await queue(name);
      const state = (query.get('state') ?? 'running') as CallState;
      if (!CALL_STATES.includes(state)) throw new HttpError(400, `state must be one of ${CALL_STATES.join(', ')}`);
      const count = Math.min(200, Math.max(1, Number(query.get('count') ?? 50) || 50));
      return { queue: q, state, calls: await admin.calls(q, state, { count }) };
    },

    async deadLetters(name, query) {
      const q = await queue(name);
      const filter = filterFrom((n) => query.get(n) ?? undefined, query.getAll('where'));
      const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 100) || 100));
      const letters = admin.deadLetters(q);
      const [found, total] = await Promise.all([letters.find(filter, { limit }), letters.count()]);
      return { queue: q, total, letters: found.map(deadLetterView) };
    },

    async deadLetter(name, id) {
      const q = await queue(name);
      const d = await admin.deadLetters(q).get(entryId(id), { raw: true });
      if (!d) throw new HttpError(404, `no dead letter ${id} on queue "${q}"`);
      return { ...deadLetterView(d), raw: d.raw ?? null };
    },

    async act(name, id, verb, body) {
      const q = await queue(name);
      const letters = admin.deadLetters(q);
      if (id !== undefined) {
        const ok = verb === 'replay' ? await letters.replay(entryId(id)) : await letters.purge(entryId(id));
        if (!ok) throw new HttpError(404, `no dead letter ${id} on queue "${q}" (already ${verb === 'replay' ? 'replayed or purged' : 'gone'}?)`);
        return { queue: q, id, [verb === 'replay' ? 'replayed' : 'purged']: 1 };
      }
      const { filter, all } = bodyFilter(body);
      if (!all && isEmptyFilter(filter)) throw new HttpError(400, 'say which dead letters: a filter (task, reason, since, where) or all: true');
      const n = verb === 'replay' ? await letters.replayAll(filter) : await letters.purgeAll(filter);
      return { queue: q, [verb === 'replay' ? 'replayed' : 'purged']: n };
    },
  };
}
