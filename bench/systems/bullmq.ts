import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { work, QUEUE, type WorkInput, type WorkOutput } from '../workload.js';
import { CALL_TIMEOUT_MS, type BenchClient, type BenchWorker, type Endpoint, type System } from './system.js';

function connection(url: string): ConnectionOptions {
  const u = new URL(url);
  // BullMQ requires maxRetriesPerRequest: null on worker connections; the same for all of them.
  return { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
}

/**
 * Finished jobs are kept up to a count rather than removed at once: waitUntilFinished checks the
 * job after subscribing, and a job already removed by then reads as "missing" and fails the call.
 */
const JOB_OPTIONS = { removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } };

/** BullMQ 6.7 the way its docs do request/response: queue.add + job.waitUntilFinished(queueEvents). */
export const bullmqSystem: System = {
  name: 'bullmq',
  label: 'BullMQ 6.7',
  worker: 'bullmq',
  async connect({ url, namespace }: Endpoint): Promise<BenchClient> {
    const queue = new Queue<WorkInput, WorkOutput>(QUEUE, { connection: connection(url), prefix: namespace });
    const events = new QueueEvents(QUEUE, { connection: connection(url), prefix: namespace });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    // waitUntilFinished adds a 'closing' listener per waiting job; 1,000 in flight is by design here.
    queue.setMaxListeners(0);
    return {
      async call(input) {
        const job = await queue.add('work', input, JOB_OPTIONS);
        return (await job.waitUntilFinished(events, CALL_TIMEOUT_MS)) as WorkOutput;
      },
      async close() {
        await events.close();
        await queue.close();
      },
    };
  },
  async enqueueOnly({ url, namespace }: Endpoint, input, count): Promise<void> {
    const queue = new Queue<WorkInput, WorkOutput>(QUEUE, { connection: connection(url), prefix: namespace });
    await Promise.all(Array.from({ length: count }, () => queue.add('work', input, JOB_OPTIONS)));
    await queue.close();
  },
};

export async function startBullmqWorker({ url, namespace }: Endpoint, concurrency: number): Promise<BenchWorker> {
  const worker = new Worker<WorkInput, WorkOutput>(QUEUE, async (job) => work(job.data), {
    connection: connection(url),
    prefix: namespace,
    concurrency,
  });
  worker.on('error', (err) => console.error('bullmq worker:', err.message));
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
