import { describe, expect, it } from 'vitest';
import type { QueueKeys } from '../../src/wire/keys.js';
import { runFragments, runFragmentsJson } from '../support/lua.js';
import { scratchQueue } from '../support/redis.js';

/**
 * Each fragment of the take pipeline (src/transport/lua/include/take-*.lua) alone, on a real
 * Redis: the whole script's behaviour is pinned by test/reliability/batched-scripts.test.ts.
 */
const envelope = (id: string) => `{"v":1,"id":"${id}","task":"t","input":{"json":1},"deadline":9999999999999,"attempt":1,"sentAt":1}`;

const setup = () => scratchQueue();

interface Facts {
  by_id: boolean;
  ids: Array<string | false>;
  cancelled: Record<string, boolean>;
  before: Record<string, number>;
}

describe('take-facts.lua', () => {
  const facts = (redis: ReturnType<typeof setup>['redis'], keys: QueueKeys, items: string[]) =>
    runFragmentsJson<Facts & { keys: Array<string | false> }>(
      redis,
      ['take-facts.lua'],
      `local items = cjson.decode(ARGV[1])
       local f = take_facts(items, KEYS[1], KEYS[2])
       local k = {}
       for i, raw in ipairs(items) do k[i] = fact_key(f, i, raw) end
       f.keys = k
       return cjson.encode(f)`,
      [keys.cancelled, keys.deliveries],
      [JSON.stringify(items)],
    );

  it('reads no ids while nothing is cancelled or counted, and keys each call by its text', async () => {
    const { redis, keys } = setup();
    const f = await facts(redis, keys, [envelope('a'), envelope('b')]);
    expect(f.by_id).toBe(false);
    expect(f.keys).toEqual([envelope('a'), envelope('b')]);
  });

  it('reads ids, cancellations and earlier deliveries when some exist, in one command each', async () => {
    const { redis, keys } = setup();
    await redis.zadd(keys.cancelled, Date.now() + 60_000, 'b');
    await redis.hset(keys.deliveries, 'c', '2');
    const f = await facts(redis, keys, [envelope('a'), envelope('b'), envelope('c'), 'garbage']);
    expect(f.by_id).toBe(true);
    expect(f.ids).toEqual(['a', 'b', 'c', false]);
    expect(f.cancelled).toEqual({ b: true });
    expect(f.before).toEqual({ c: 2 });
    // A call whose id cannot be read is counted under nothing once ids are read.
    expect(f.keys).toEqual(['a', 'b', 'c', false]);
  });
});

describe('take-screen.lua', () => {
  it('marks an envelope over the limit large and a cancelled id cancelled, in one pass, and nothing else', async () => {
    const { redis } = setup();
    const verdicts = await runFragmentsJson<Record<string, string>>(
      redis,
      ['take-screen.lua'],
      `local items = { ARGV[1], ARGV[2], ARGV[3], ARGV[3] }
       local facts = { by_id = true, ids = { 'a', 'b', 'c', false }, cancelled = { b = true } }
       local v = take_screen(items, facts, 200)
       local out = {}
       for i = 1, 4 do out[tostring(i)] = v[i] or 'lease' end
       return cjson.encode(out)`,
      [],
      [envelope('a'), envelope('b'), envelope('c') + ' '.repeat(200)],
    );
    expect(verdicts).toEqual({ '1': 'lease', '2': 'cancelled', '3': 'large', '4': 'large' });
  });

  it('reads no cancellation when the facts say no ids were read', async () => {
    const { redis } = setup();
    const verdicts = await runFragmentsJson<Record<string, string>>(
      redis,
      ['take-screen.lua'],
      `local v = take_screen({ ARGV[1] }, { by_id = false, ids = {}, cancelled = { b = true } }, 1000)
       return cjson.encode({ one = v[1] or 'lease' })`,
      [],
      [envelope('b')],
    );
    expect(verdicts).toEqual({ one: 'lease' });
  });

  it('sets a large call aside with its size, and drops cancelled ones with their marks, inputs and counts', async () => {
    const { redis, keys } = setup();
    await redis.zadd(keys.cancelled, 1e13, 'b', 1e13, 'keep');
    await redis.hset(keys.deliveries, 'b', '1', 'other', '1');
    await redis.set(keys.input('b'), 'x');
    const storedB = envelope('b').replace('"task":"t"', '"task":"t","stored":1');
    await runFragments(
      redis,
      ['take-screen.lua'],
      `take_set_aside(KEYS[1], 100, ARGV[1], 10, 42)
       take_drop_cancelled(ARGV[2], KEYS[2], KEYS[3], { 'b' }, { ARGV[3] })
       return 0`,
      [keys.dead, keys.cancelled, keys.deliveries],
      [envelope('big'), keys.base, storedB],
    );
    const [letter] = await redis.xrange(keys.dead, '-', '+');
    expect(letter?.[1]).toEqual(['reason', 'PAYLOAD_TOO_LARGE', 'detail', `envelope of ${envelope('big').length} bytes exceeds 10`, 'envelope', envelope('big'), 'at', '42']);
    expect(await redis.zrange(keys.cancelled, 0, -1)).toEqual(['keep']);
    expect(await redis.hgetall(keys.deliveries)).toEqual({ other: '1' });
    expect(await redis.exists(keys.input('b'))).toBe(0);
  });
});

describe('take-quarantine.lua', () => {
  /** take_count over items whose earlier deliveries are given by id; answers deliveries by index and where it stopped. */
  const count = (redis: ReturnType<typeof setup>['redis'], earlier: Record<string, number>, ids: string[], from: number, may: boolean, verdicts: Record<string, string> = {}) =>
    runFragmentsJson<{ n: Record<string, number>; blocked: number | false }>(
      redis,
      ['take-quarantine.lua'],
      `local ids = cjson.decode(ARGV[1])
       local facts = { by_id = true, ids = ids, before = cjson.decode(ARGV[2]), cancelled = {} }
       local verdicts = {}
       for k, v in pairs(cjson.decode(ARGV[5])) do verdicts[tonumber(k)] = v end
       local n, blocked = take_count(ids, facts, verdicts, tonumber(ARGV[3]), ARGV[4] == '1')
       local out = {}
       for i, d in pairs(n) do out[tostring(i)] = d end
       return cjson.encode({ n = out, blocked = blocked or false })`,
      [],
      [JSON.stringify(ids), JSON.stringify(earlier), from, may ? '1' : '0', JSON.stringify(verdicts)],
    );

  it('numbers each delivery, admits one suspect, and stops at the second', async () => {
    const { redis } = setup();
    const r = await count(redis, { s1: 2, b: 1, s2: 3 }, ['a', 'b', 's1', 'c', 's2', 'd'], 2, true);
    expect(r).toEqual({ n: { '1': 1, '2': 2, '3': 3, '4': 1 }, blocked: 5 });
  });

  it('admits no suspect for a worker that runs one, every call when disabled, and skips screened-out calls', async () => {
    const { redis } = setup();
    expect((await count(redis, { s: 2 }, ['a', 's'], 2, false)).blocked).toBe(2);
    expect(await count(redis, { s: 99 }, ['s', 'x'], 0, false)).toEqual({ n: { '1': 100, '2': 1 }, blocked: false });
    expect(await count(redis, { s: 2 }, ['s', 'a'], 2, false, { '1': 'large' })).toEqual({ n: { '2': 1 }, blocked: false });
  });

  it('counts a call twice in one batch as two deliveries', async () => {
    const { redis } = setup();
    expect((await count(redis, {}, ['a', 'a', 'a'], 0, true)).n).toEqual({ '1': 1, '2': 2, '3': 3 });
  });

});

describe('take-lease.lua', () => {
  const lease = (leased: string, extra = '') => `return take_lease(${leased}, KEYS[1], KEYS[2], 30000, 1000, { 0, -1 }, ${extra || "''"}, ARGV[1])`;

  it('leases a batch under consecutive tokens with one list and one lease, and answers token base, envelope, deliveries', async () => {
    const { redis, keys } = setup();
    await redis.set(keys.seq, '41');
    const out = (await runFragments(redis, ['take-lease.lua'], lease(`{ { 'ea', 1 }, { 'eb', 3 } }`), [keys.batches, keys.seq], [keys.base])) as Array<string | number>;
    expect(out).toEqual([0, -1, 41, 'ea', 1, 'eb', 3]);
    // The batch is named by its first token; its lease runs from `now` (1000) for 30 s.
    expect(await redis.zrange(keys.batches, 0, -1, 'WITHSCORES')).toEqual(['42', '31000']);
    expect(await redis.lrange(keys.batch('42'), 0, -1)).toEqual(['ea', 'eb']);
    expect(await redis.get(keys.seq)).toBe('43');
    expect(await redis.exists(keys.active, keys.bodies)).toBe(0);
  });

  it("appends the batch it leased to the taking worker's record, and nothing for an older worker", async () => {
    const { redis, keys } = setup();
    await redis.set(keys.seq, '9');
    const record = keys.leases('w1');
    // No record (its worker's last tick deleted it: the worker closed): nothing is written.
    await runFragments(redis, ['take-lease.lua'], lease(`{ { 'x', 1 } }`, 'KEYS[3]'), [keys.batches, keys.seq, record], [keys.base]);
    expect(await redis.exists(record)).toBe(0);
    await redis.del(keys.batches, keys.batch('10'));
    await redis.set(keys.seq, '9');
    await redis.rpush(record, '-'); // what maintain-11 writes for a worker that holds nothing
    await runFragments(redis, ['take-lease.lua'], lease(`{ { 'a', 1 }, { 'b', 1 }, { 'c', 1 } }`, 'KEYS[3]'), [keys.batches, keys.seq, record], [keys.base]);
    await runFragments(redis, ['take-lease.lua'], lease(`{ { 'd', 1 } }`), [keys.batches, keys.seq], [keys.base]);
    expect(await redis.lrange(record, 0, -1)).toEqual(['-', 'b10']);
    expect(await redis.zrange(keys.batches, 0, -1)).toEqual(['10', '13']);
  });

  it('answers only its head and issues no token when nothing is leased', async () => {
    const { redis, keys } = setup();
    const out = await runFragments(redis, ['take-lease.lua'], `return take_lease({}, KEYS[1], KEYS[2], 30000, 1000, { 1, 250 }, '', ARGV[1])`, [keys.batches, keys.seq], [keys.base]);
    expect(out).toEqual([1, 250]);
    expect(await redis.exists(keys.seq, keys.batches)).toBe(0);
  });

  it('writes tokens past 1e14 as integers', async () => {
    const { redis, keys } = setup();
    await redis.set(keys.seq, String(1e14));
    const out = (await runFragments(redis, ['take-lease.lua'], lease(`{ { 'e', 1 } }`), [keys.batches, keys.seq], [keys.base])) as unknown[];
    expect(out[2]).toBe(1e14);
    expect(await redis.zrange(keys.batches, 0, -1)).toEqual(['100000000000001']);
  });
});
