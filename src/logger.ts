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
