import { ERROR_CODES } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { JsonSchema } from './json-schema.js';
import { subsetIssues, type SchemaIssue } from './schema-subset.js';
import type { TaskView } from './task-view.js';

/**
 * The compatibility rules, in one place for the runtime and the tools. At run time a caller and
 * a worker built from different versions of a contract meet call by call; the first two
 * functions are the decisions the runtime makes then (reply-settler.ts, worker/runner.ts). The
 * rest asks the same questions of two versions at once, for `taskwire breaking`, a client's
 * `$check()` against live workers, and the admin's view of who serves what, and says for each
 * answer how the runtime will show it.
 */

/** Whether a caller re-checks a reply's output against its own schema: only when the worker's fingerprint differs. */
export function outputNeedsCheck(callerFingerprint: string, workerFingerprint: string | undefined): boolean {
  return workerFingerprint !== undefined && workerFingerprint !== callerFingerprint;
}

/** The code a worker answers input that fails its schema with: skew is named as such. */
export function inputRefusalCode(callerFingerprint: string | undefined, workerFingerprint: string): 'CONTRACT_MISMATCH' | 'VALIDATION' {
  return callerFingerprint !== undefined && callerFingerprint !== workerFingerprint ? ERROR_CODES.CONTRACT_MISMATCH : ERROR_CODES.VALIDATION;
}

/**
 * How a break shows at run time: the error code a call fails with, or `unseen` where nothing
 * checks (a declared error's data, a progress report, an output refinement with an unchanged
 * fingerprint) and only this check finds it.
 */
export type Runtime = 'VALIDATION' | 'CONTRACT_MISMATCH' | 'UNKNOWN_TASK' | 'NO_WORKERS' | 'unseen';

export interface CallProblem {
  readonly task: string;
  /** `task`, `queue`, `partitions`, or a field under `input`, `output`, `errors.<CODE>`, `progress`. */
  readonly field: string;
  readonly reason: string;
  readonly runtime: Runtime;
}

export interface CallerCheck {
  /** Calls of this task from this caller can fail (or return what it does not expect). */
  readonly problems: CallProblem[];
  /** Calls work, but something means another thing now (a changed default, a new error code). */
  readonly notes: Array<{ readonly field: string; readonly note: string }>;
}

function compareSchemas(sent: JsonSchema, accepted: JsonSchema, field: string, refinements: boolean, runtime: Runtime, task: string, into: CallerCheck): void {
  for (const issue of subsetIssues(sent, accepted, field, { refinements })) {
    if (issue.severity === 'note') into.notes.push({ field: issue.field, note: issue.reason });
    else into.problems.push({ task, field: issue.field, reason: issue.reason, runtime: refinedRuntime(issue, runtime) });
  }
}

/** An input refinement is checked by the worker whatever the fingerprints say; an output one only when they differ. */
function refinedRuntime(issue: SchemaIssue, runtime: Runtime): Runtime {
  return runtime === 'CONTRACT_MISMATCH' && issue.reason.startsWith('a refinement') && issue.field.startsWith('input') ? ERROR_CODES.VALIDATION : runtime;
}

/**
 * What happens when `caller` (its view of a task) calls a worker whose view is `worker`
 * (undefined: the worker does not have the task). The one rule set: the CLI runs it both ways
 * (old callers against new workers, new callers against old workers), `$check()` runs it from
 * the client's routes against each live version.
 */
export function checkCaller(caller: TaskView, worker: TaskView | undefined): CallerCheck {
  const out: CallerCheck = { problems: [], notes: [] };
  const task = caller.path;
  if (!worker) {
    out.problems.push({ task, field: 'task', reason: 'the worker does not serve this task', runtime: ERROR_CODES.UNKNOWN_TASK });
    return out;
  }
  if (caller.queue !== worker.queue) {
    out.problems.push({ task, field: 'queue', reason: `sent on queue ${caller.queue}, served on ${worker.queue}`, runtime: ERROR_CODES.NO_WORKERS });
  } else partitionsCheck(caller, worker, out);
  const refinements = caller.refinements && worker.refinements;
  const skew = outputNeedsCheck(caller.fingerprint, worker.fingerprint);
  if (caller.input && worker.input) {
    compareSchemas(caller.input, worker.input, 'input', refinements, inputRefusalCode(caller.fingerprint, worker.fingerprint), task, out);
  }
  if (caller.output && worker.output) {
    compareSchemas(worker.output.sends, caller.output.accepts, 'output', refinements, skew ? ERROR_CODES.CONTRACT_MISMATCH : 'unseen', task, out);
  }
  if (caller.errors && worker.errors) {
    for (const [code, schema] of Object.entries(worker.errors)) {
      const expected = caller.errors[code];
      if (expected) compareSchemas(schema.sends, expected.accepts, `errors.${code}`, refinements, 'unseen', task, out);
      else out.notes.push({ field: `errors.${code}`, note: `the caller does not declare ${code}: it gets a declared error without typed data` });
    }
  }
  if (caller.progress && worker.progress) compareSchemas(worker.progress.sends, caller.progress.accepts, 'progress', refinements, 'unseen', task, out);
  else if (caller.progress && worker.progress === null) out.notes.push({ field: 'progress', note: 'the worker reports no progress: onProgress is never called' });
  return out;
}

/**
 * Partitions decide where calls go (docs/PARTITIONS.md). A caller sending to a partition the
 * worker does not serve (1 ↔ K, or more partitions than the worker's) gets NO_WORKERS; one whose
 * partitions the worker serves but whose count differs still works, but a key maps to another
 * partition than under the other count: per-key order and one owner per idempotency key do not
 * hold across the two versions.
 */
function partitionsCheck(caller: TaskView, worker: TaskView, out: CallerCheck): void {
  const sent = caller.partitions ?? 1;
  const served = worker.partitions ?? 1;
  if (sent === served) return;
  const shown = (n: number) => (n === 1 ? 'one queue' : `${n} partitions`);
  if (sent === 1 || served === 1 || sent > served) {
    out.problems.push({ task: caller.path, field: 'partitions', reason: `sent over ${shown(sent)}, served over ${shown(served)}: calls to a partition the workers do not serve wait for nobody`, runtime: ERROR_CODES.NO_WORKERS });
  } else {
    out.notes.push({ field: 'partitions', note: `sent over ${sent} partitions, served over ${served}: calls run, but a partition or idempotency key maps to another partition than under the other count, so per-key order and idempotency do not hold between the two versions` });
  }
}

export type Verdict = 'safe' | 'breaks-old-callers' | 'breaks-old-workers' | 'breaks-both';

export interface Impact {
  readonly reason: string;
  readonly runtime: Runtime;
}

/** One change between two versions of a contract, and what it does to each side left on the old version. */
export interface Change {
  readonly task: string;
  readonly field: string;
  /** What changed, in words. */
  readonly change: string;
  readonly verdict: Verdict;
  /** Callers built from the old version, calling new workers. */
  readonly oldCallers?: Impact;
  /** Old workers, called by callers built from the new version. */
  readonly oldWorkers?: Impact;
  readonly note?: string;
}

interface Draft {
  task: string;
  field: string;
  change: string;
  oldCallers?: Impact;
  oldWorkers?: Impact;
  notes: string[];
}

const ANNOTATIONS = new Set(['description', 'title', 'examples', '$schema']);

/** Without annotations, which change no verdict (descriptions, titles). */
function bare(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(bare);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => !ANNOTATIONS.has(k)).map(([k, v]) => [k, bare(v)]));
}

function plain(node: unknown): string {
  return canonicalJson(bare(node));
}

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where two schemas differ, as fields: properties are followed, any other difference is named where it is. */
function schemaDiff(before: unknown, after: unknown, field: string, out: Array<{ field: string; change: string }>): void {
  if (plain(before) === plain(after)) return;
  const bp = isObj(before) && isObj(before['properties']) ? before['properties'] : undefined;
  const ap = isObj(after) && isObj(after['properties']) ? after['properties'] : undefined;
  if (!bp || !ap || !isObj(before) || !isObj(after)) {
    out.push({ field, change: `${shown(before)} → ${shown(after)}` });
    return;
  }
  const br = new Set((before['required'] as string[] | undefined) ?? []);
  const ar = new Set((after['required'] as string[] | undefined) ?? []);
  for (const k of Object.keys(ap)) {
    if (!(k in bp)) out.push({ field: `${field}.${k}`, change: `added (${ar.has(k) ? 'required' : 'optional'})` });
  }
  for (const k of Object.keys(bp)) {
    if (!(k in ap)) {
      out.push({ field: `${field}.${k}`, change: 'removed' });
      continue;
    }
    if (br.has(k) !== ar.has(k)) out.push({ field: `${field}.${k}`, change: ar.has(k) ? 'optional → required' : 'required → optional' });
    schemaDiff(bp[k], ap[k], `${field}.${k}`, out);
  }
  const rest = (s: JsonSchema) => plain({ ...s, properties: undefined, required: undefined });
  if (rest(before) !== rest(after)) out.push({ field, change: 'changed beside its fields (strictness, catchall, refinements, ...)' });
}

function shown(v: unknown): string {
  const text = v === undefined ? 'nothing' : plain(v);
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}

/** The diff of one task's two versions, as fields that changed. */
function taskDiff(before: TaskView, after: TaskView): Array<{ field: string; change: string }> {
  const out: Array<{ field: string; change: string }> = [];
  if (before.queue !== after.queue) out.push({ field: 'queue', change: `moved from queue ${before.queue} to ${after.queue}` });
  if ((before.partitions ?? 1) !== (after.partitions ?? 1)) out.push({ field: 'partitions', change: `partitions ${before.partitions ?? 1} → ${after.partitions ?? 1}` });
  schemaDiff(before.input, after.input, 'input', out);
  schemaDiff(before.output?.sends, after.output?.sends, 'output', out);
  const codes = new Set([...Object.keys(before.errors ?? {}), ...Object.keys(after.errors ?? {})]);
  for (const code of codes) {
    const b = before.errors?.[code];
    const a = after.errors?.[code];
    if (!b) out.push({ field: `errors.${code}`, change: 'declared error added' });
    else if (!a) out.push({ field: `errors.${code}`, change: 'declared error removed' });
    else schemaDiff(b.sends, a.sends, `errors.${code}`, out);
  }
  if (before.progress === null && after.progress) out.push({ field: 'progress', change: 'progress reports added' });
  else if (before.progress && after.progress === null) out.push({ field: 'progress', change: 'progress reports removed' });
  else schemaDiff(before.progress?.sends, after.progress?.sends, 'progress', out);
  return out;
}

const under = (field: string, parent: string): boolean => field === parent || field.startsWith(`${parent}.`) || field.startsWith(`${parent}[`);

function attach(drafts: Draft[], task: string, field: string, side: 'oldCallers' | 'oldWorkers', impact: Impact): void {
  // The most specific change the problem lies under; else the first change under it; else its own.
  const mine = drafts.filter((d) => d.task === task);
  const owner =
    mine.filter((d) => under(field, d.field)).sort((a, b) => b.field.length - a.field.length)[0] ?? mine.find((d) => under(d.field, field));
  const d = owner ?? { task, field, change: 'changed', notes: [] };
  if (!owner) drafts.push(d);
  const had = d[side];
  d[side] = had ? { reason: had.reason.includes(impact.reason) ? had.reason : `${had.reason}; ${impact.reason}`, runtime: had.runtime } : impact;
}

function verdictOf(d: Draft): Verdict {
  if (d.oldCallers && d.oldWorkers) return 'breaks-both';
  if (d.oldCallers) return 'breaks-old-callers';
  if (d.oldWorkers) return 'breaks-old-workers';
  return 'safe';
}

/**
 * Every change from `before` to `after`, each with its verdict: old callers are checked against
 * new workers and new callers against old workers with checkCaller(), the rule the runtime
 * applies call by call. Tasks are matched by path (a rename is a removal and an addition).
 */
export function compareContracts(before: readonly TaskView[], after: readonly TaskView[]): Change[] {
  const drafts: Draft[] = [];
  const old = new Map(before.map((t) => [t.path, t]));
  const now = new Map(after.map((t) => [t.path, t]));
  for (const b of before) {
    const a = now.get(b.path);
    if (!a) {
      drafts.push({ task: b.path, field: 'task', change: 'task removed', notes: [], oldCallers: { reason: 'new workers do not serve it', runtime: ERROR_CODES.UNKNOWN_TASK } });
      continue;
    }
    for (const d of taskDiff(b, a)) drafts.push({ task: b.path, ...d, notes: [] });
    const forward = checkCaller(b, a);
    const backward = checkCaller(a, b);
    for (const p of forward.problems) attach(drafts, b.path, p.field, 'oldCallers', { reason: p.reason, runtime: p.runtime });
    for (const p of backward.problems) attach(drafts, b.path, p.field, 'oldWorkers', { reason: p.reason, runtime: p.runtime });
    const notes = [...forward.notes.map((n) => ({ ...n, note: `old callers: ${n.note}` })), ...backward.notes.map((n) => ({ ...n, note: `old workers: ${n.note}` }))];
    for (const n of notes) {
      const d = drafts.find((x) => x.task === b.path && under(n.field, x.field)) ?? drafts.find((x) => x.task === b.path && under(x.field, n.field));
      if (d && !d.notes.includes(n.note)) d.notes.push(n.note);
      else if (!d) drafts.push({ task: b.path, field: n.field, change: 'changed', notes: [n.note] });
    }
  }
  for (const a of after) {
    if (old.has(a.path)) continue;
    drafts.push({
      task: a.path,
      field: 'task',
      change: 'task added',
      notes: [],
      oldWorkers: { reason: 'old workers do not serve it: deploy workers before callers use it', runtime: ERROR_CODES.UNKNOWN_TASK },
    });
  }
  return drafts.map((d) => ({
    task: d.task,
    field: d.field,
    change: d.change,
    verdict: verdictOf(d),
    ...(d.oldCallers ? { oldCallers: d.oldCallers } : {}),
    ...(d.oldWorkers ? { oldWorkers: d.oldWorkers } : {}),
    ...(d.notes.length > 0 ? { note: d.notes.join('; ') } : {}),
  }));
}
