import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createClient, type Client, type ClientOptions } from '../../../src/index.js';
import { queueKeys, type QueueKeys } from '../../../src/wire/keys.js';
import { inspector, randomPrefix } from '../../support/redis.js';
import { RedisServer, type RedisServerOptions } from '../../support/redis-server.js';
import { faultContract } from './fault-contract.js';
import { ReplyTap } from './reply-tap.js';
import { killAllWorkers, RunLog, spawnWorker, type FaultWorker, type SpawnWorkerOptions } from './spawn-worker.js';

/**
 * One private redis-server per fault test file (these tests kill, pause and restart it, which
 * must never touch the run's shared server), started in beforeAll and stopped in afterAll.
 */
export function privateRedis(config: Record<string, string> = {}): { readonly server: RedisServer } {
  const holder: { server?: RedisServer } = {};
  const options: RedisServerOptions = { config };
  beforeAll(async () => {
    holder.server = await RedisServer.start(options);
  });
  afterAll(async () => {
    await killAllWorkers();
    await holder.server?.stop();
  });
  return {
    get server() {
      if (!holder.server) throw new Error('privateRedis: server not started (used outside a test?)');
      return holder.server;
    },
  };
}

export type FaultClient = Client<typeof faultContract>;

/** Everything one fault test needs on a fresh prefix, and one cleanup for all of it. */
export interface FaultEnv {
  readonly url: string;
  readonly prefix: string;
  readonly keys: QueueKeys;
  readonly log: RunLog;
  readonly tap: ReplyTap;
  /** A plain connection for inspecting keys and sending admin commands (closed by cleanup). */
  readonly redis: Redis;
  client(options?: Partial<ClientOptions>): FaultClient;
  worker(options?: Omit<SpawnWorkerOptions, 'url' | 'prefix' | 'log'>): Promise<FaultWorker>;
  /** Kills worker processes, closes clients and the tap, deletes the keys and the run log. */
  cleanup(): Promise<void>;
}

export async function faultEnv(url: string): Promise<FaultEnv> {
  const prefix = randomPrefix();
  const log = new RunLog();
  const tap = await ReplyTap.start(url, prefix);
  const insp = inspector(prefix, url);
  insp.redis.on('error', () => undefined);
  const clients: FaultClient[] = [];
  return {
    url,
    prefix,
    keys: queueKeys(prefix, 'default'),
    log,
    tap,
    redis: insp.redis,
    client(options = {}) {
      const c = createClient(faultContract, { redis: url, prefix, ...options });
      clients.push(c);
      return c;
    },
    worker: (options = {}) => spawnWorker({ url, prefix, log, ...options }),
    async cleanup() {
      await killAllWorkers();
      await Promise.all(clients.map((c) => c.$close()));
      tap.close();
      await Promise.race([insp.cleanup(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]).catch(() => undefined);
      log.remove();
    },
  };
}

/** Prints a measured figure in one greppable line (docs/RELIABILITY.md quotes them). */
export function figure(name: string, data: Record<string, unknown>): void {
  console.info(`[fault-figure] ${name} ${JSON.stringify(data)}`);
}
