/**
 * A worker process: `REDIS_URL=redis://... tsx examples/worker/src/main.ts`.
 * It serves every queue the contract names and drains on SIGTERM/SIGINT.
 */
import { createWorker } from 'taskwire';
import { contract } from '@example/contracts';
import { handlers } from './handlers.js';

const worker = createWorker(contract, handlers, {
  redis: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  prefix: process.env['TASKWIRE_PREFIX'] ?? 'tw',
  concurrency: 16,
});
await worker.start();
worker.closeOnSignals();
console.log(`worker ${worker.id.slice(0, 8)} ready`);
