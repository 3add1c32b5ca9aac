import type { Logger } from '../logger.js';
import type { Worker } from './types.js';

export type CloseOnSignalsOptions = NonNullable<Parameters<Worker['closeOnSignals']>[0]>;

/**
 * Worker.closeOnSignals(): on the first signal close() (drain, hand back the rest) and exit 0;
 * a second signal while draining exits 1 at once, for an operator who will not wait.
 */
export function closeOnSignals(worker: Pick<Worker, 'close'>, logger: Logger, id: string, options: CloseOnSignalsOptions): void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      if (options.exit !== false) process.exit(1);
      return;
    }
    closing = true;
    logger.warn(`taskwire: ${signal} received, closing worker`, { worker: id });
    const drain = options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs };
    worker.close(drain).then(
      () => options.exit !== false && process.exit(0),
      (err: unknown) => {
        logger.error('taskwire: close on signal failed', { error: String(err) });
        if (options.exit !== false) process.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
}
