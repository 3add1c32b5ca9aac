import { afterEach, expect, it } from 'vitest';
import { closeConnection, openConnection, type Connection } from '../../src/transport/connection.js';
import { QueueStore } from '../../src/transport/queue-store.js';
import { queueKeys } from '../../src/wire/keys.js';
import { inspector, randomPrefix, redisUrl } from '../support/redis.js';

let conn: Connection | undefined;
let insp: ReturnType<typeof inspector> | undefined;
afterEach(async () => {
  if (conn) await closeConnection(conn);
  await insp?.cleanup();
  conn = insp = undefined;
});

it('sends the scripts that carry our own batches at once, and other commands auto-pipelined', async () => {
  const prefix = randomPrefix();
  insp = inspector(prefix);
  conn = openConnection(redisUrl(), { name: 'tw-test' });
  await conn.ping();
  const s = new QueueStore(conn);
  const keys = queueKeys(prefix, 'q');
  // Written now, not held for ioredis' next setImmediate (src/transport/pipelining.ts UNPIPELINED_COMMANDS).
  const taken = s.take(keys, { max: 10, leaseMs: 1000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
  const batched = s.enqueueBatch(keys, { batchId: 'b', workerTtlMs: 0, sentTtlMs: 1000, raws: ['{"v":1,"id":"x"}'] });
  const settled = s.complete(keys, [], { inboxTtlMs: 1000, deadMaxLen: 10, replyTtlMs: 1000, channelPrefix: `${prefix}:reply:` }, () => 'w');
  const deleted = conn.hdel(keys.replies('c'), 'x'); // the client's batch of read replies
  expect(conn.autoPipelineQueueSize).toBe(0);
  // Everything else still rides the auto-pipeline.
  const other = conn.llen(keys.wait);
  expect(conn.autoPipelineQueueSize).toBe(1);
  expect((await taken).calls).toEqual([]);
  expect(await batched).toBe(1);
  expect(await settled).toEqual([]);
  expect(await other).toBe(1);
  expect(await deleted).toBe(0);
});
