import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { fingerprintTask } from './fingerprint.js';
import { describeSchema, type JsonSchema } from './json-schema.js';
import { DEFAULT_QUEUE, type Route } from './route.js';
import { listTasks, type RouterShape } from './router.js';
import type { AnyTask } from './task.js';
import { queuePartitions } from './queue-partitions.js';

/** A schema from both sides: what its owner sends (parsed, `io: output`) and what it lets in (`io: input`). */
export interface SchemaSides {
  readonly sends: JsonSchema;
  readonly accepts: JsonSchema;
}

/**
 * One task as the compatibility rules see it (compatibility.ts): plain JSON, so it can come from a
 * contract module, a client's route table or a live worker's schema record alike. A part that is
 * undefined is unknown (a generated client's routes carry no error or progress schemas) and is
 * not compared; `progress: null` means the task reports none.
 */
export interface TaskView {
  readonly path: string;
  readonly queue: string;
  /** Its queue's partitions, when more than one (docs/PARTITIONS.md); absent: one queue. */
  readonly partitions?: number;
  readonly fingerprint: string;
  /** What a caller may send (its raw argument, `io: input`) and so also what a worker accepts. */
  readonly input: JsonSchema | undefined;
  readonly output: SchemaSides | undefined;
  readonly errors: Readonly<Record<string, SchemaSides>> | undefined;
  readonly progress: SchemaSides | null | undefined;
  /** Whether refinements were described (`x-refine`): only then are they compared. */
  readonly refinements: boolean;
}

const sides = (schema: z.ZodType, refinements: boolean): SchemaSides => ({
  sends: describeSchema(schema, 'output', { refinements }),
  accepts: describeSchema(schema, 'input', { refinements }),
});

/**
 * The full view of a contract's task, refinements included. `partitions`: its queue's, when the
 * task follows its queue's without declaring them (contract/queue-partitions.ts).
 */
export function taskView(path: string, t: AnyTask, partitions = t.partitions): TaskView {
  const errors: Record<string, SchemaSides> = {};
  for (const [code, schema] of Object.entries(t.errors)) errors[code] = sides(schema, true);
  return {
    path,
    queue: t.queue ?? DEFAULT_QUEUE,
    // Only when partitioned: the views (and digests) of other tasks stay what they were.
    ...(partitions !== undefined && partitions > 1 ? { partitions } : {}),
    fingerprint: fingerprintTask(t),
    input: describeSchema(t.input, 'input', { refinements: true }),
    output: sides(t.output, true),
    errors,
    progress: t.progress === undefined ? null : sides(t.progress, true),
    refinements: true,
  };
}

export function contractView(contract: RouterShape): TaskView[] {
  const tasks = listTasks(contract);
  const partitions = queuePartitions(tasks, 'contractView()');
  return tasks.map(({ path, task }) => taskView(path, task, partitions.get(task.queue ?? DEFAULT_QUEUE)));
}

/**
 * What a client knows of a task: its route. A generated client's schemas leave refinements out
 * by design (docs/CODEGEN.md), so none are compared; a missing schema accepts anything.
 */
export function routeView(route: Route): TaskView {
  return {
    path: route.path,
    queue: route.queue,
    ...(route.partitions !== undefined && route.partitions > 1 ? { partitions: route.partitions } : {}),
    fingerprint: route.fingerprint,
    input: route.input === undefined ? {} : describeSchema(route.input, 'input'),
    output: route.output === undefined ? { sends: {}, accepts: {} } : sides(route.output, false),
    errors: undefined,
    progress: undefined,
    refinements: false,
  };
}

/** A digest of everything a view says (fingerprint, refinements, queue): names a worker's schema record. */
export function viewDigest(view: TaskView): string {
  return createHash('sha256').update(canonicalJson(view)).digest('hex').slice(0, 16);
}
