import { isWorkerKind, startWorker } from './systems/index.js';
import { handledCount } from './workload.js';

/**
 * Child-process entry: one worker of one system, so two of them really use two cores.
 * argv: <kind> <redis url> <namespace> <concurrency>. Says {type:'ready'} over IPC once it
 * serves the queue, answers {type:'count'} with the calls it has handled so far, and closes
 * cleanly on {type:'stop'} (a clean exit also writes --cpu-prof).
 */
const [kind, url, namespace, concurrency] = process.argv.slice(2);
if (!isWorkerKind(kind) || !url || !namespace || !concurrency) {
  console.error('usage: worker-process <taskwire|bullmq|ceiling> <redis url> <namespace> <concurrency>');
  process.exit(2);
}

const worker = await startWorker(kind, { url, namespace }, Number(concurrency));
process.on('message', (message: { type?: string }) => {
  if (message.type === 'count') process.send?.({ type: 'count', handled: handledCount() });
  if (message.type !== 'stop') return;
  void worker.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('worker close failed:', err);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
