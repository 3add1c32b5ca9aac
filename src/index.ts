// The public API of taskwire. Named exports only; anything not listed here is internal.
export { createClient, createRouteClient } from './client/create-client.js';
export type { ClientOptions, CallOptions, ClientHandle, Client, ClientOf, TaskCaller, TaskMethod, MapOptions, Settled, CallArgs, SendOptions, WaitOptions, RunState, RunStatus, CallHandle, ChildCallOptions, ChildMapOptions, ChildSendOptions, ChildTaskMethod, ChildClient, RoutesOf, ProgressOptions, ProgressCallOptions, FailedCall, FollowUpIds, FollowUp, FollowUpOptions, TaskMap, TaskMapOf, EventsHandle } from './client/types.js';
export type { TaskEvents, EventsOptions } from './client/task-events.js';
export type { TaskEvent } from './wire/task-event.js';
export type { ClientInterceptor, OutgoingCall, CallOutcome } from './client/interceptor.js';
export { createWorker } from './worker/create-worker.js';
export type { Worker, WorkerOptions, WorkerStats, Handlers, Handler, TaskContext } from './worker/types.js';
export type { Middleware, NextOptions } from './worker/middleware.js';
export type { GroupLimits } from './worker/limits.js';
export type { WorkerObserver, WorkerCall } from './worker/worker-events.js';
export { metrics } from './observability/metrics.js';
export type { Metrics, MetricsHooks, CallLabels } from './observability/metrics.js';
export * from './contract/index.js';
export { errorFromJSON, toTaskwireError } from './errors.js';
export type { Logger } from './logger.js';
export { superjsonSerializer } from './wire/serializer.js';
export type { Serializer } from './wire/serializer.js';
export type { ReplyMode } from './wire/envelope.js';
export type { RedisSource } from './transport/connection.js';
// Re-exported so a generated client needs `taskwire` as its only dependency.
export { z } from 'zod';
export { createAdmin } from './admin/create-admin.js';
export type { Admin, AdminOptions, OverviewOptions, QueueCounts } from './admin/create-admin.js';
export type { Overview, QueueOverview, WorkerOverview } from './admin/overview.js';
export type { CallView, CallState } from './admin/calls.js';
export type { DeadLetters, DeadLetter, DeadLetterFilter, InputCondition, RawDeadLetter } from './admin/dead-letters.js';
export { createSchedules } from './scheduling/create-schedules.js';
export type { Schedules, SchedulesOptions, Schedule, ScheduleOf, ScheduleSpec, ScheduleTiming, ScheduleOptions, CatchUp, InputAt } from './scheduling/types.js';
