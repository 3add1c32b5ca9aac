// The contract subpath: pure data and types. Importable without ioredis or worker code.
export { task, isTask } from './task.js';
export type { TaskDef, AnyTask, TaskOptions, ErrorMap, RetryPolicy } from './task.js';
export { router, isRouter, listTasks } from './router.js';
export type { Router, RouterShape } from './router.js';
export type {
  TaskInput,
  TaskOutput,
  HandlerInput,
  HandlerOutput,
  TaskErrorCode,
  TaskErrorData,
  DeclaredError,
  CallError,
  TaskPaths,
  TaskAt,
  HandlerProgress,
  TaskProgress,
} from './infer.js';
export { fingerprintTask } from './fingerprint.js';
export { compareContracts, checkCaller } from './compatibility.js';
export type { Change, Verdict, Impact, Runtime, CallProblem, CallerCheck } from './compatibility.js';
export { contractView, taskView } from './task-view.js';
export type { TaskView, SchemaSides } from './task-view.js';
export type { JsonSchema } from './json-schema.js';
export { MAX_PRIORITY } from './flow-control.js';
export type { RateLimit } from './flow-control.js';
export { routesOf, DEFAULT_QUEUE } from './route.js';
export type { Route, RouteTable } from './route.js';
export { isTaskError } from './is-task-error.js';
export { TaskwireError, TaskError, isTaskwireError, ERROR_CODES } from '../errors.js';
export type { ErrorCode, SerializedError } from '../errors.js';
