import { expect, it } from 'vitest';
import { QueueStore } from '../../src/transport/queue-store.js';
import { scratchQueue } from '../support/redis.js';

/**
 * The marker list (lua/include/wake.lua): a parked worker blocks on it, so every script that
 * puts work on a source list must leave a token, and a take leaves one exactly when work is
 * left behind.
 */
const envelope = (id: string) => `{"v":1,"id":"${id}","task":"t","input":{"json":1},"deadline":9999999999999,"attempt":1,"sentAt":1}`;
const take = { leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } };

function setup() {
  const { redis, keys } = scratchQueue();
  return { redis, keys, store: new QueueStore(redis) };
}

it('every enqueue leaves one token, however many calls it carries', async () => {
  const { redis, keys, store } = setup();
  await store.enqueueBatch(keys, { batchId: 'b1', workerTtlMs: 0, sentTtlMs: 10_000, raws: [envelope('a'), envelope('b')] });
  await store.enqueue(keys, { raw: envelope('c'), callId: 'c', workerTtlMs: 0, idem: '', idemTtlMs: 0, replySpec: '-', replyTtlMs: 1000, inboxTtlMs: 1000, sentTtlMs: 10_000, inputHash: '' });
  expect(await redis.lrange(keys.marker, 0, -1)).toEqual(['1']);
});

it('a refused enqueue leaves no token', async () => {
  const { redis, keys, store } = setup();
  expect(await store.enqueueBatch(keys, { batchId: 'b1', workerTtlMs: 10_000, sentTtlMs: 10_000, raws: [envelope('a')] })).toBe(-1);
  expect(await redis.exists(keys.marker)).toBe(0);
});

it('a take that leaves work behind leaves a token for the next worker; one that empties the queue removes it', async () => {
  const { redis, keys, store } = setup();
  await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('c'));
  expect((await store.take(keys, { max: 2, ...take })).calls).toHaveLength(2);
  expect(await redis.llen(keys.marker)).toBe(1);
  await redis.del(keys.marker); // a parked worker woke and took the token
  expect((await store.take(keys, { max: 2, ...take })).calls).toHaveLength(1);
  expect(await redis.exists(keys.marker)).toBe(0);
  // A stale token (its call taken by a worker that was not parked) goes with the take that empties the queue.
  await redis.rpush(keys.marker, '1');
  await redis.rpush(keys.wait, envelope('d'));
  await store.take(keys, { max: 10, ...take });
  expect(await redis.exists(keys.marker)).toBe(0);
});

it('calls coming back (expired leases, due retries, released and replayed calls) leave a token', async () => {
  const { redis, keys, store } = setup();
  await redis.rpush(keys.wait, envelope('a'), envelope('b'));
  expect((await store.take(keys, { max: 2, ...take, leaseMs: 1 })).calls).toHaveLength(2);
  expect(await redis.exists(keys.marker)).toBe(0);
  await new Promise((r) => setTimeout(r, 5));
  expect((await store.maintain(keys, { workerId: 'w', workerTtlMs: 10_000, limit: 10, alive: true })).requeued).toBe(2);
  expect(await redis.llen(keys.marker)).toBe(1);

  await redis.del(keys.marker, keys.wait);
  await redis.zadd(keys.delayed, 1, envelope('r'));
  expect((await store.maintain(keys, { workerId: 'w', workerTtlMs: 10_000, limit: 10, alive: true })).promoted).toBe(1);
  expect(await redis.llen(keys.marker)).toBe(1);

  await redis.del(keys.marker);
  const taken = await store.take(keys, { max: 1, ...take }); // r, promoted above
  expect(taken.calls).toHaveLength(1);
  await redis.del(keys.marker, keys.wait);
  expect(await store.release(keys, taken.calls)).toBe(1);
  expect(await redis.llen(keys.marker)).toBe(1);

  await redis.del(keys.marker, keys.wait);
  const id = await redis.xadd(keys.dead, '*', 'reason', 'X', 'envelope', envelope('x'));
  expect(await store.replay(keys, id ?? '', envelope('x'))).toBe(true);
  expect(await redis.llen(keys.marker)).toBe(1);
  // Nothing came back: no token.
  await redis.del(keys.marker);
  await store.maintain(keys, { workerId: 'w', workerTtlMs: 10_000, limit: 10, alive: true });
  expect(await redis.exists(keys.marker)).toBe(0);
});

it('parking blocks on the marker, returns when a token arrives, and moves no call', async () => {
  const { redis, keys } = setup();
  const blocking = redis.duplicate();
  try {
    const store = new QueueStore(blocking);
    const t0 = Date.now();
    const parked = store.park(keys, 2);
    await new Promise((r) => setTimeout(r, 100));
    await new QueueStore(redis).enqueueBatch(keys, { batchId: 'b', workerTtlMs: 0, sentTtlMs: 10_000, raws: [envelope('a')] });
    expect(await parked).toEqual([keys.marker, '1']);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await redis.lrange(keys.wait, 0, -1)).toEqual([envelope('a')]);
  } finally {
    blocking.disconnect();
  }
});
