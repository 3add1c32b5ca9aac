import type { z } from 'zod';
import type { TaskError, TaskwireError } from '../errors.js';
import type { AnyTask, ErrorMap, TaskDef } from './task.js';
import type { RouterShape } from './router.js';

/** What a caller passes (before zod defaults/transforms). */
export type TaskInput<T extends AnyTask> = z.input<T['input']>;
/** What a handler receives (after parsing). */
export type HandlerInput<T extends AnyTask> = z.output<T['input']>;
/** What a handler returns. */
export type HandlerOutput<T extends AnyTask> = z.input<T['output']>;
/** What a caller gets back. */
export type TaskOutput<T extends AnyTask> = z.output<T['output']>;

/** What a handler reports with ctx.progress (never: the task declares no progress). */
export type HandlerProgress<T extends AnyTask> = T['progress'] extends z.ZodType ? z.input<T['progress']> : never;
/** What a caller's onProgress gets. */
export type TaskProgress<T extends AnyTask> = T['progress'] extends z.ZodType ? z.output<T['progress']> : never;

export type TaskErrors<T extends AnyTask> = T extends TaskDef<z.ZodType, z.ZodType, infer E, z.ZodType | undefined> ? E : never;
export type TaskErrorCode<T extends AnyTask> = Extract<keyof TaskErrors<T>, string>;
export type TaskErrorData<T extends AnyTask, C extends TaskErrorCode<T>> =
  TaskErrors<T>[C] extends z.ZodType ? z.output<TaskErrors<T>[C]> : never;

/** The union of declared errors a call of T can reject with, each data typed by its code. */
export type DeclaredError<T extends AnyTask> = {
  [C in TaskErrorCode<T>]: TaskError<C, TaskErrorData<T, C>>;
}[TaskErrorCode<T>];

/** Everything a call of T can reject with. */
export type CallError<T extends AnyTask> = DeclaredError<T> | TaskwireError<string, unknown>;

export type ErrorMapOf<T extends AnyTask> = TaskErrors<T> extends ErrorMap ? TaskErrors<T> : never;

/** Dotted paths of all tasks in a router: 'tasks.resize' | ... */
export type TaskPaths<R extends RouterShape, P extends string = ''> = {
  [K in Extract<keyof R, string>]: R[K] extends AnyTask
    ? `${P}${K}`
    : R[K] extends RouterShape
      ? TaskPaths<R[K], `${P}${K}.`>
      : never;
}[Extract<keyof R, string>];

/** The task at a dotted path of a router: TaskAt<typeof contract, 'reports.daily'>. */
export type TaskAt<R extends RouterShape, P extends string> = P extends `${infer H}.${infer Rest}`
  ? H extends keyof R
    ? R[H] extends RouterShape
      ? TaskAt<R[H], Rest>
      : never
    : never
  : P extends keyof R
    ? R[P] extends AnyTask
      ? R[P]
      : never
    : never;
