/**
 * A worker process for the limit tests: `node --import tsx limit-worker.ts` with TW_LIMIT_WORKER
 * = { url, prefix, log, groups? }. Says 'ready' over IPC once it takes calls.
 */
import { createWorker, type GroupLimits } from '../../src/index.js';
import { limitContract, limitHandlers } from './limit-contract.js';

const config = JSON.parse(process.env['TW_LIMIT_WORKER'] ?? 'null') as { url: string; prefix: string; log: string; groups?: GroupLimits } | null;
if (!config || !process.send) {
  console.error('limit-worker: needs TW_LIMIT_WORKER and an IPC channel');
  process.exit(2);
}
process.on('disconnect', () => process.exit(3));
const worker = createWorker(limitContract, limitHandlers(config.log), {
  redis: config.url,
  prefix: config.prefix,
  concurrency: 8,
  leaseMs: 1_500,
  maintenanceIntervalMs: 100,
  ...(config.groups ? { groups: config.groups } : {}),
  logger: { warn: () => undefined, error: (m) => console.error(m) },
});
worker.closeOnSignals();
await worker.start();
process.send({ type: 'ready' });
