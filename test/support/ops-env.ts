import { createAdmin, createClient, createWorker, type Admin, type Client, type Worker } from 'taskwire';
import { contract, handlers, syncHealth } from '../cli/fixtures/ops-worker.js';
import { quietLogger } from './fixtures.js';
import { inspector, randomPrefix, redisUrl } from './redis.js';

/**
 * The operators' tools' test bed: the CLI fixture's contract (test/cli/fixtures/ops-worker.ts)
 * served by an in-process worker on a fresh prefix, a client and an admin, all from the built
 * package, the copy the CLI under test runs. `deadLetters(n)` makes real dead letters: users.sync
 * fails (twice: its retry policy) until `heal()`.
 */
export interface OpsEnv {
  prefix: string;
  url: string;
  worker: Worker;
  client: Client<typeof contract>;
  admin: Admin;
  /** Makes n dead letters on queue `users`, for users with ids from `firstId`. */
  deadLetters(n: number, firstId?: number): Promise<void>;
  heal(): void;
  cleanup(): Promise<void>;
}

export async function opsEnv(options: { startWorker?: boolean; concurrency?: number } = {}): Promise<OpsEnv> {
  syncHealth.ok = false;
  const prefix = randomPrefix();
  const url = redisUrl();
  const worker = createWorker(contract, handlers, { redis: url, prefix, logger: quietLogger, maintenanceIntervalMs: 50, concurrency: options.concurrency ?? 16 });
  if (options.startWorker !== false) await worker.start();
  const client = createClient(contract, { redis: url, prefix, noWorkers: 'wait' });
  const admin = createAdmin({ redis: url, prefix });
  const insp = inspector(prefix, url);
  return {
    prefix,
    url,
    worker,
    client,
    admin,
    async deadLetters(n, firstId = 1) {
      const before = await admin.deadLetters('users').count();
      await Promise.all(
        Array.from({ length: n }, (_, i) => client.users.sync({ user: { id: firstId + i, email: `user${firstId + i}@example.com` } }).catch(() => undefined)),
      );
      for (let t = 0; t < 200 && (await admin.deadLetters('users').count()) < before + n; t++) await new Promise((r) => setTimeout(r, 20));
    },
    heal() {
      syncHealth.ok = true;
    },
    async cleanup() {
      syncHealth.ok = false;
      await client.$close();
      await worker.close({ drainTimeoutMs: 500 });
      await admin.close();
      await insp.cleanup();
    },
  };
}
