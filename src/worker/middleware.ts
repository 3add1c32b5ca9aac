import { CallContext } from './call-context.js';
import type { TaskContext } from './types.js';

/** What a middleware may change besides the input when it calls `next`. */
export interface NextOptions {
  /**
   * The headers the handler (ctx.headers) and its child calls (ctx.client) see from then on:
   * how tracing makes children of a call nest under the worker's span, not beside it.
   */
  headers?: Readonly<Record<string, string>>;
}

/**
 * A worker-side hook around every handler: `(ctx, input, next) => next()`. It sees the validated
 * input, may pass another one on (`next(input)`), sees what the handler returned or threw, and
 * may change either. The output check against the contract, retries and replies come after it,
 * so nothing a middleware does can send a caller what the contract does not allow.
 * Tracing, metrics, auth checks and logging plug in here instead of into the worker's call path.
 */
export type Middleware = ((ctx: TaskContext, input: unknown, next: (input?: unknown, options?: NextOptions) => Promise<unknown>) => unknown) & {
  /**
   * Whether it wants calls now (default: always). While every middleware answers false, calls run
   * the bare handler: tracing registered with no tracer provider costs nothing.
   */
  active?: () => boolean;
};

type Run = (input: unknown, ctx: TaskContext) => unknown;

/**
 * Wraps a handler in the middleware, the first registered outermost. Done once per task when the
 * worker is created: with no middleware the handler is returned as it is, and a call pays nothing.
 */
export function withMiddleware(handler: Run, middleware: readonly Middleware[] | undefined): Run {
  if (!middleware || middleware.length === 0) return handler;
  const chained = middleware.reduceRight<Run>(
    (next, m) => (input, ctx) =>
      m(ctx, input, async (changed?: unknown, options?: NextOptions) => {
        if (options?.headers !== undefined && ctx instanceof CallContext) ctx.replaceHeaders(options.headers);
        return next(changed === undefined ? input : changed, ctx);
      }),
    handler,
  );
  if (middleware.some((m) => !m.active)) return chained;
  const actives = middleware.map((m) => m.active as () => boolean);
  return (input, ctx) => (actives.some((f) => f()) ? chained(input, ctx) : handler(input, ctx));
}
