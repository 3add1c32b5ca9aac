/**
 * Where clients and workers report what no caller's promise can: a worker's malformed messages
 * and failed settles, a client's background deletes that Redis refused.
 */
export interface Logger {
  warn(message: string, detail?: Record<string, unknown>): void;
  error(message: string, detail?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  warn: (message, detail) => console.warn(message, detail ?? ''),
  error: (message, detail) => console.error(message, detail ?? ''),
};

/**
 * A pino (or bunyan-style) logger: object first, message second. Called as taskwire's Logger
 * (`warn(message, detail)`) it would log the message and drop the detail, so it is adapted.
 */
interface ObjectFirstLogger {
  warn(detail: Record<string, unknown>, message: string): void;
  error(detail: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): unknown;
  isLevelEnabled(level: string): boolean;
}

function isObjectFirst(logger: Logger): logger is Logger & ObjectFirstLogger {
  const l = logger as unknown as { child?: unknown; isLevelEnabled?: unknown };
  return typeof l.child === 'function' && typeof l.isLevelEnabled === 'function';
}

/**
 * The logger a client, worker or schedules object talks to: `console` and taskwire-shaped
 * loggers as they are, pino adapted to its argument order (its levels decide what is written:
 * a silent or error-level pino stays silent on warnings), none: console.
 */
export function toLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return consoleLogger;
  if (!isObjectFirst(logger)) return logger;
  return {
    warn: (message, detail) => logger.warn(detail ?? {}, message),
    error: (message, detail) => logger.error(detail ?? {}, message),
  };
}
