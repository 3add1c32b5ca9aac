import type { Connection } from './connection.js';

const SUBSCRIBES = ['subscribe', 'ssubscribe', 'psubscribe'] as const;
const ignore = (): void => undefined;

/**
 * A subscriber connection whose (s|p)subscribe promises are never unhandled rejections. After a
 * reconnect, ioredis resubscribes by calling these itself without a handler (5 and 6,
 * readyHandler's autoResubscribe: one SUBSCRIBE, and one SSUBSCRIBE per sharded channel); a
 * connection closed before Redis answers them rejected each with "Connection is closed", which
 * Node's default treats as fatal. A CI run saw 7 (a worker's 1 + 6) when a test closed a worker
 * whose subscriber had just come back. Each call's promise gets a no-op handler; whoever awaits
 * it still sees its rejection.
 */
export function handledSubscribes<C extends Connection>(conn: C): C {
  const target = conn as unknown as Record<string, unknown>;
  for (const name of SUBSCRIBES) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = (...args: unknown[]): unknown => {
      const result: unknown = (original as (...a: unknown[]) => unknown).apply(conn, args);
      if (result instanceof Promise) result.catch(ignore);
      return result;
    };
  }
  return conn;
}
