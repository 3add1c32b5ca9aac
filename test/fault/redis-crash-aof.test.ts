import { afterEach, expect, it } from 'vitest';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';

const redis = privateRedis({ appendonly: 'yes', appendfsync: 'always' });
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('loses no acknowledged call when redis-server (AOF, fsync always) is SIGKILLed under load and restarted', { timeout: 40_000 }, async () => {
  env = await faultEnv(redis.server.url);
  const options = { concurrency: 16, leaseMs: 2_000, maintenanceIntervalMs: 200, workerTtlMs: 3_000 };
  const workers = await Promise.all([env.worker({ options }), env.worker({ options })]);
  const client = env.client({ defaultTimeoutMs: 10_000 });
  // Pub/sub replies published while the client resubscribes are lost by design (see
  // reply-pubsub.ts): those calls may end in TIMEOUT, so each mode is scored on its own.
  const byKey = new Ledger();
  const byPubSub = new Ledger();
  let n = 0;
  const load = (async () => {
    for (let round = 0; round < 150; round++) {
      for (let j = 0; j < 10; j++, n++) {
        const input = { id: `a${n}`, n, ms: n % 5 === 0 ? 300 : 5 }; // some calls run across the outage
        const pubsub = n % 2 === 1;
        (pubsub ? byPubSub : byKey).track(input.id, client.work(input, { replyMode: pubsub ? 'pubsub' : 'key' }), expectedWork(input));
      }
      await sleep(20);
    }
  })();
  await sleep(1_000);
  await redis.server.kill('SIGKILL');
  const killedAt = Date.now();
  await sleep(1_000);
  await redis.server.restart();
  const restartedAt = Date.now();
  await load;
  await Promise.all([byKey.settle(15_000), byPubSub.settle(15_000)]);
  await sleep(300);
  const runs = env.log.runs();
  const key = byKey.report(runs);
  const pubsub = byPubSub.report(runs);
  const stats = await Promise.all(workers.map(async (w) => (await w.probe()).stats));
  figure('redis-crash-aof', {
    downtimeMs: restartedAt - killedAt,
    keyModeSettledAfterRestartMs: byKey.lastSettledAt() - restartedAt,
    key: { ...key, timedOut: byKey.idsWith('TIMEOUT') },
    pubsub,
    replies: env.tap.summary(),
    workers: stats,
  });

  expect(key).toMatchObject({ total: 750, ok: 750, wrong: 0, unknown: 0, lost: 0, duplicateOutcomes: 0, okWithoutRun: 0 });
  expect(byKey.lastSettledAt() - restartedAt).toBeLessThan(10_000);
  expect(pubsub).toMatchObject({ total: 750, wrong: 0, unknown: 0, duplicateOutcomes: 0 });
  expect(pubsub.ok + (pubsub.errors['TIMEOUT'] ?? 0)).toBe(750);
  expect(workers.every((w) => w.alive)).toBe(true);
});
