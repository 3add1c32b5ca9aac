/**
 * Entry point of a worker process for fault tests, started by spawn-worker.ts as
 * `node --import tsx worker-process.ts` with its settings in TW_FAULT_WORKER (JSON).
 *
 * It talks to the test over the IPC channel: `ready` once the worker takes calls, `probe`
 * answers with stats and the state of Object.prototype. Handler runs go to the run log file,
 * which survives SIGKILL of this process. The final stats go to a file on exit.
 */
import { writeFileSync } from 'node:fs';
import { createWorker, type WorkerOptions } from '../../../src/index.js';
import type { WorkerStats } from '../../../src/worker/types.js';
import { appendRun, faultContract, faultHandlers } from './fault-contract.js';

export interface WorkerProcessConfig {
  url: string;
  prefix: string;
  runLog: string;
  statsFile: string;
  options: Omit<WorkerOptions, 'redis' | 'prefix' | 'logger' | 'serializer'>;
  /** How SIGTERM closes the worker: the built-in one-liner, or a hand-written process.once. */
  shutdown: 'closeOnSignals' | 'once';
}

export type ToParent =
  | { type: 'ready'; workerId: string }
  | { type: 'probe'; stats: WorkerStats; running: number; prototypeNames: string[]; polluted: boolean };
export type ToChild = { type: 'probe' };

const config = JSON.parse(process.env['TW_FAULT_WORKER'] ?? 'null') as WorkerProcessConfig | null;
if (!config || !process.send) {
  console.error('worker-process: run me through spawn-worker.ts (needs TW_FAULT_WORKER and an IPC channel)');
  process.exit(2);
}
const send = (m: ToParent) => process.send?.(m);

const logger = {
  warn: (message: string, detail?: Record<string, unknown>) => console.error(`warn ${message} ${JSON.stringify(detail ?? {})}`),
  error: (message: string, detail?: Record<string, unknown>) => console.error(`error ${message} ${JSON.stringify(detail ?? {})}`),
};
const worker = createWorker(
  faultContract,
  faultHandlers((id, ctx) => appendRun(config.runLog, id, ctx.callId)),
  { ...config.options, redis: config.url, prefix: config.prefix, logger },
);

process.on('exit', () => writeFileSync(config.statsFile, JSON.stringify(worker.stats)));
// Orphaned (the test runner died): do not linger holding leases.
process.on('disconnect', () => process.exit(3));
process.on('message', (m: ToChild) => {
  if (m.type !== 'probe') return;
  const probe = {} as Record<string, unknown>;
  send({
    type: 'probe',
    stats: { ...worker.stats },
    running: worker.running,
    prototypeNames: Object.getOwnPropertyNames(Object.prototype).sort(),
    polluted: 'polluted' in probe || 'isAdmin' in probe,
  });
});

if (config.shutdown === 'closeOnSignals') {
  worker.closeOnSignals();
} else {
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

await worker.start();
send({ type: 'ready', workerId: worker.id });
