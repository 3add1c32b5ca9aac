import { afterEach, describe, expect, it } from 'vitest';
import { QueueStore, type BatchEnd, type CompleteOptions, type Settlement } from '../../src/transport/queue-store.js';
import type { TakenCall } from '../../src/transport/take-request.js';
import { queueKeys, replyChannelPrefix } from '../../src/wire/keys.js';
import { inspector, randomPrefix } from '../support/redis.js';

/**
 * take-11.lua leases a take's calls as one batch and complete-4.lua settles them batch by batch
 * (issue 20). These pin the per-call outcomes inside a batch, which the call-path tests only see
 * in their common case.
 */
const envelope = (id: string) => `{"v":1,"id":"${id}","task":"t","input":{"json":1},"deadline":9999999999999,"attempt":1,"sentAt":1}`;

describe('batched take and complete scripts', () => {
  let cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  function setup() {
    const prefix = randomPrefix();
    const { redis, cleanup } = inspector(prefix);
    cleanups.push(cleanup);
    const keys = queueKeys(prefix, 'q');
    const options: CompleteOptions = { inboxTtlMs: 60_000, deadMaxLen: 100, replyTtlMs: 60_000, channelPrefix: replyChannelPrefix(prefix) };
    return { redis, keys, s: new QueueStore(redis), options };
  }

  type Lease = Pick<TakenCall, 'token' | 'batch'>;
  const reply = (lease: Lease, callId: string, client: string): Settlement => ({
    token: lease.token, batch: lease.batch, callId, action: 'h', to: client, payload: `{"v":1,"id":"${callId}","ok":true,"output":{"json":"${callId}"}}`,
    deadReason: '', idem: '', idemTtlMs: 0, input: '',
  });

  it('counts a call that is twice in one batch as two deliveries, whether or not ids are read', async () => {
    const { redis, keys, s } = setup();
    // Nothing cancelled or counted: take-8 leaves ids unread and knows the copies by their text.
    await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('a'));
    let taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    expect(taken.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['a', 1], ['b', 1], ['a', 2]]);
    // With a count present the ids are read, and the same holds.
    await redis.hset(keys.deliveries, 'z', '1');
    await redis.rpush(keys.wait, envelope('c'), envelope('c'));
    taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    expect(taken.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['c', 1], ['c', 2]]);
  });

  it('leases a batch under consecutive tokens, skipping cancelled and oversized calls, and counts deliveries per call', async () => {
    const { redis, keys, s } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('c') + ' '.repeat(500), envelope('d'));
    await redis.zadd(keys.cancelled, Date.now() + 60_000, 'b');
    await redis.hset(keys.deliveries, 'd', '1'); // d was delivered once before (its worker died)
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 400, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    expect(taken.blocked).toBe(false);
    expect(taken.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['a', 1], ['d', 2]]);
    const [t1, t2] = taken.calls.map((c) => Number(c.token));
    expect(t2).toBe((t1 as number) + 1);
    // One lease for the batch, named by its first token; its envelopes in token order.
    expect(taken.calls.map((c) => c.batch)).toEqual([String(t1), String(t1)]);
    expect(await redis.zrange(keys.batches, 0, -1)).toEqual([String(t1)]);
    expect(await redis.lrange(keys.batch(String(t1)), 0, -1)).toEqual([envelope('a'), envelope('d')]);
    expect(await redis.exists(keys.active, keys.bodies)).toBe(0);
    // Counts are written when a lease expires (maintain), not on every take.
    expect(await redis.hgetall(keys.deliveries)).toEqual({ d: '1' });
    expect(await redis.zcard(keys.cancelled)).toBe(0); // b's cancellation was used up
    expect(await redis.xlen(keys.dead)).toBe(1); // c, unread
    expect(await redis.llen(keys.wait)).toBe(0);
  });

  it('stops at a suspect this worker may not take and puts it back at the head with everything behind it', async () => {
    const { redis, keys, s } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('s1'), envelope('b'), envelope('s2'), envelope('c'));
    await redis.hset(keys.deliveries, 's1', '2', 's2', '2');
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 2, mayTake: true } });
    // s1 is this worker's one suspect; s2 would be a second one, so taking stops there.
    expect(taken.blocked).toBe(true);
    expect(taken.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['a', 1], ['s1', 3], ['b', 1]]);
    expect(await redis.lrange(keys.wait, 0, -1)).toEqual([envelope('s2'), envelope('c')]);
  });

  it('keeps the cancellation of a call behind a blocking suspect, and drops it on the next take', async () => {
    const { redis, keys, s } = setup();
    // s1 is a suspect this worker may not take; c was cancelled after a worker had taken it once.
    await redis.rpush(keys.wait, envelope('s1'), envelope('c'), envelope('d'));
    await redis.hset(keys.deliveries, 's1', '2', 'c', '1');
    await redis.zadd(keys.cancelled, Date.now() + 60_000, 'c');
    const blocked = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 2, mayTake: false } });
    expect(blocked).toEqual({ calls: [], blocked: true, nextDueMs: -1 });
    expect(await redis.zscore(keys.cancelled, 'c')).not.toBeNull(); // still marked
    const next = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 2, mayTake: true } });
    expect(next.calls.map((x) => JSON.parse(x.raw).id)).toEqual(['s1', 'd']); // c dropped unrun
    expect(await redis.zcard(keys.cancelled)).toBe(0);
    expect(await redis.hkeys(keys.deliveries)).toEqual(['s1']); // c's count went with it
  });

  it('forgets the delivery count of a call withdrawn by its caller', async () => {
    const { redis, keys, s } = setup();
    await redis.rpush(keys.wait, envelope('w'));
    await redis.hset(keys.deliveries, 'w', '1');
    expect(await s.withdraw(keys, { raw: envelope('w'), callId: 'w', deadline: Date.now() + 60_000, announce: true, task: 't' })).toBe('withdrawn');
    expect(await redis.hlen(keys.deliveries)).toBe(0);
    expect(await redis.llen(keys.wait)).toBe(0);
  });

  it('settles a whole batch in one: its list and lease go, each call replied once', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('c'));
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    const [a, b, c] = taken.calls as [TakenCall, TakenCall, TakenCall];
    // cl2's hash already holds a reply kept for 10 minutes (a client's longer replyTtlMs): a
    // shorter TTL must not cut it.
    await redis.hset(keys.replies('cl2'), 'old', '{}');
    await redis.pexpire(keys.replies('cl2'), 600_000);
    const res = await s.complete(keys, [reply(a, 'a', 'cl1'), reply(b, 'b', 'cl1'), reply(c, 'c', 'cl2')], options, () => 'w');
    expect(res).toEqual([1, 1, 1]);
    expect(await redis.lrange(keys.inbox('cl1'), 0, -1)).toEqual([reply(a, 'a', 'cl1').payload, reply(b, 'b', 'cl1').payload]);
    expect(await redis.lrange(keys.inbox('cl2'), 0, -1)).toEqual([reply(c, 'c', 'cl2').payload]);
    // Each client's replies hash holds what its inbox does until the client has read it.
    expect(await redis.hgetall(keys.replies('cl1'))).toEqual({ a: reply(a, 'a', 'cl1').payload, b: reply(b, 'b', 'cl1').payload });
    expect(await redis.hgetall(keys.replies('cl2'))).toEqual({ old: '{}', c: reply(c, 'c', 'cl2').payload });
    expect(await redis.pttl(keys.inbox('cl1'))).toBeGreaterThan(0);
    expect(await redis.pttl(keys.replies('cl1'))).toBeGreaterThan(50_000);
    expect(await redis.pttl(keys.replies('cl1'))).toBeLessThanOrEqual(60_000);
    expect(await redis.pttl(keys.replies('cl2'))).toBeGreaterThan(500_000);
    // A settled batch leaves nothing behind; a re-sent settle of it is dropped.
    expect(await redis.exists(keys.batches, keys.batch(a.batch))).toBe(0);
    expect(await s.complete(keys, [reply(a, 'a', 'cl1')], options, () => 'w')).toEqual([0]);
    expect(await redis.llen(keys.inbox('cl1'))).toBe(2);
  });

  it('settles part of a batch call by call, never twice, and ends its lease when the last is settled', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('c'));
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    const [a, b, c] = taken.calls as [TakenCall, TakenCall, TakenCall];
    // b first ('p'), twice in one complete: settled once.
    expect(await s.complete(keys, [reply(b, 'b', 'cl1'), reply(b, 'b', 'cl1')], options, () => 'p')).toEqual([1, 0]);
    expect(await redis.lrange(keys.batch(a.batch), 0, -1)).toEqual([envelope('a'), '', envelope('c')]);
    // A re-sent settle of b (its first answer lost to a dropped connection) is dropped, even as 'c'.
    expect(await s.complete(keys, [reply(b, 'b', 'cl1'), reply(a, 'a', 'cl1')], options, () => 'c')).toEqual([0, 1]);
    expect(await redis.zscore(keys.batches, a.batch)).not.toBeNull(); // c is still running
    expect(await s.complete(keys, [reply(c, 'c', 'cl1')], options, () => 'c')).toEqual([1]);
    expect(await redis.exists(keys.batches, keys.batch(a.batch))).toBe(0);
    expect(await redis.lrange(keys.inbox('cl1'), 0, -1)).toEqual(['b', 'a', 'c'].map((id) => reply(a, id, 'cl1').payload));
  });

  it('drops the late results of a batch whose lease was reaped, whatever the mode', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('b'));
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    const [a, b] = taken.calls as [TakenCall, TakenCall];
    // What maintain does to an expired batch: lease and list go, the envelopes are requeued.
    await redis.zrem(keys.batches, a.batch);
    await redis.del(keys.batch(a.batch));
    for (const how of ['w', 'p', 'c'] as BatchEnd[]) {
      expect(await s.complete(keys, [reply(a, 'a', 'cl1'), reply(b, 'b', 'cl1')], options, () => how)).toEqual([0, 0]);
    }
    expect(await redis.exists(keys.inbox('cl1'), keys.replies('cl1'), keys.batches)).toBe(0);
  });

  it('hands back only the unsettled calls of a batch whose worker died, counting a delivery each', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('a'), envelope('b'), envelope('c'), envelope('d'));
    const taken = await s.take(keys, { max: 10, leaseMs: 1, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    const [a, b, c, d] = taken.calls as [TakenCall, TakenCall, TakenCall, TakenCall];
    // a and c finished before the crash; b and d were running.
    expect(await s.complete(keys, [reply(a, 'a', 'cl1'), reply(c, 'c', 'cl1')], options, () => 'p')).toEqual([1, 1]);
    expect((await s.counts(keys, 10_000)).running).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await s.maintain(keys, { workerId: 'w2', workerTtlMs: 10_000, limit: 100, alive: true })).requeued).toBe(2);
    expect(await redis.lrange(keys.wait, 0, -1)).toEqual([envelope('b'), envelope('d')]);
    expect(await redis.hgetall(keys.deliveries)).toEqual({ b: '1', d: '1' });
    expect(await redis.exists(keys.batches, keys.batch(a.batch))).toBe(0);
    // The dead worker's late results are dropped.
    expect(await s.complete(keys, [reply(b, 'b', 'cl1'), reply(d, 'd', 'cl1')], options, () => 'w')).toEqual([0, 0]);
  });

  it('counts a delivery when a lease expires, and forgets the count once the call settles', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('x'), envelope('y'));
    const first = await s.take(keys, { max: 10, leaseMs: 1, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } }); // 1 ms leases
    expect(first.calls.map((c) => c.deliveries)).toEqual([1, 1]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The worker died: maintain requeues both expired leases and counts one delivery each.
    expect((await s.maintain(keys, { workerId: 'w2', workerTtlMs: 10_000, limit: 100, alive: true })).requeued).toBe(2);
    expect(await redis.hgetall(keys.deliveries)).toEqual({ x: '1', y: '1' });
    const second = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    expect(second.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['x', 2], ['y', 2]]);
    // A closing worker hands y back unrun: not counted.
    const [tx, ty] = second.calls as [TakenCall, TakenCall];
    expect(await s.release(keys, [ty])).toBe(1);
    expect(await s.release(keys, [ty])).toBe(0); // handed back once
    // x is the batch's last call: 'c' ends the lease (y's entry was emptied by the release).
    expect(await s.complete(keys, [reply(tx, 'x', 'cl1')], options, () => 'c')).toEqual([1]);
    expect(await redis.exists(keys.batches, keys.batch(tx.batch))).toBe(0);
    expect(await redis.hgetall(keys.deliveries)).toEqual({ y: '1' });
    const third = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    expect(third.calls.map((c) => [JSON.parse(c.raw).id, c.deliveries])).toEqual([['y', 2]]);
    expect(await redis.zscore(keys.batches, third.calls[0]?.batch ?? '')).not.toBeNull();
  });

  it('publishes pub/sub replies, schedules retries, dead-letters and stores idempotent results within the same batch', async () => {
    const { redis, keys, s, options } = setup();
    await redis.rpush(keys.wait, envelope('p'), envelope('r'), envelope('d'), envelope('i'));
    const taken = await s.take(keys, { max: 10, leaseMs: 30_000, maxBytes: 1 << 20, deadMaxLen: 100, suspects: { from: 0, mayTake: true } });
    const [p, r, d, i] = taken.calls as [TakenCall, TakenCall, TakenCall, TakenCall];
    for (const id of ['d', 'i', 'p', 'r']) await redis.set(keys.input(id), `input of ${id}`);
    const idem = `${keys.base}:idem:x`;
    // Followers of the idempotency key, of two clients.
    await redis.rpush(`${idem}:waiters`, `f1|h|${keys.replies('cl7')}|${keys.inbox('cl7')}`, `f2|h|${keys.replies('cl6')}|${keys.inbox('cl6')}`);
    const sub = redis.duplicate();
    cleanups.push(async () => sub.disconnect());
    const heard: string[] = [];
    await sub.subscribe(`${options.channelPrefix}cl9`);
    sub.on('message', (_ch, msg: string) => heard.push(msg));
    const res = await s.complete(keys, [
      { ...reply(p, 'p', 'cl9'), action: 'p', input: '-' },
      { token: r.token, batch: r.batch, callId: 'r', action: 'r', to: '60000', payload: envelope('r'), deadReason: '', idem: '', idemTtlMs: 0, input: '' },
      // A stored input goes with its call, into the dead letter when there is one.
      { token: d.token, batch: d.batch, callId: 'd', action: '-', to: '', payload: '{"err":1}', deadReason: 'ATTEMPTS_EXHAUSTED', idem: '', idemTtlMs: 0, input: '{"json":"in"}' },
      // Groups of 9 (optional fields set) and of 5 mixed in one batch: see complete-4.lua.
      { ...reply(i, 'i', 'cl8'), idem, idemTtlMs: 60_000, input: '-' },
    ], options, () => 'w');
    expect(await redis.exists(keys.input('d'), keys.input('i'), keys.input('p'), keys.input('r'))).toBe(1);
    expect(await redis.exists(keys.input('r'))).toBe(1); // a retry keeps it for the next attempt
    expect(res).toEqual([1, 1, 1, 1]);
    expect(await redis.get(`${idem}:result`)).toBe(reply(i, 'i', 'cl8').payload);
    expect(await redis.lrange(keys.inbox('cl8'), 0, -1)).toEqual([reply(i, 'i', 'cl8').payload]);
    expect(await redis.hgetall(keys.replies('cl8'))).toEqual({ i: reply(i, 'i', 'cl8').payload });
    // The followers' copies carry their own call ids.
    const copy = (id: string) => reply(i, 'i', 'cl8').payload.replace('"id":"i"', `"id":"${id}"`);
    expect(await redis.hgetall(keys.replies('cl7'))).toEqual({ f1: copy('f1') });
    expect(await redis.lrange(keys.inbox('cl7'), 0, -1)).toEqual([copy('f1')]);
    expect(await redis.hgetall(keys.replies('cl6'))).toEqual({ f2: copy('f2') });
    expect(await redis.lrange(keys.inbox('cl6'), 0, -1)).toEqual([copy('f2')]);
    expect(await redis.exists(`${idem}:waiters`)).toBe(0);
    await expect.poll(() => heard.length).toBe(1);
    expect(heard[0]).toContain('"id":"p"');
    expect(await redis.zrange(keys.delayed, 0, -1)).toEqual([envelope('r')]);
    const dead = await redis.xrange(keys.dead, '-', '+');
    expect(dead).toHaveLength(1);
    expect(dead[0]?.[1]).toEqual(expect.arrayContaining(['reason', 'ATTEMPTS_EXHAUSTED', 'envelope', envelope('d'), 'input', '{"json":"in"}']));
  });
});
