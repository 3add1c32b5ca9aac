import { describe, expect, it } from 'vitest';
import type { QueueKeys } from '../../src/wire/keys.js';
import { runFragments, runFragmentsJson } from '../support/lua.js';
import { scratchQueue } from '../support/redis.js';

/** route.lua and take-sources.lua alone: where a call waits, and the order a take finds calls in. */
const env = (id: string, route = '') => `{"v":1,"id":"${id}","task":"t"${route},"input":{"json":{"group":"not this","priority":9}},"deadline":9999999999999,"attempt":1,"sentAt":1}`;
const Q = `local q = { base = ARGV[1], wait = KEYS[1], prio = KEYS[2], groups = KEYS[3], delayed = KEYS[4] }`;
const qKeys = (k: QueueKeys) => [k.wait, k.prio, k.groups, k.delayed];
const ids = (raws: string[]) => raws.map((r) => (JSON.parse(r) as { id: string }).id);

describe('route.lua', () => {
  it('reads task, priority and group from the envelope head, never from the input', async () => {
    const { redis } = scratchQueue();
    const got = await runFragmentsJson<Array<string | number | false>>(
      redis,
      ['route.lua'],
      `local out = {}
       for i, raw in ipairs(cjson.decode(ARGV[1])) do
         out[#out + 1] = envelope_task(raw) or false
         out[#out + 1] = envelope_priority(raw) or false
         out[#out + 1] = envelope_group(raw) or false
       end
       return cjson.encode(out)`,
      [],
      [JSON.stringify([env('a'), env('b', ',"priority":7'), env('c', ',"group":"acme"'), env('d', ',"priority":3,"group":"x.y"')])],
    );
    expect(got).toEqual(['t', false, false, 't', 7, false, 't', false, 'acme', 't', 3, 'x.y']);
  });

  it('puts a call in its group (joining the ring once), the prioritized set by due time, or the wait list; front for calls coming back', async () => {
    const { redis, keys } = scratchQueue();
    await runFragments(
      redis,
      ['route.lua'],
      `${Q}
       route(q, ARGV[2], false, 1000, 100)
       route(q, ARGV[3], false, 1000, 100)
       route(q, ARGV[4], false, 1000, 100)
       route(q, ARGV[5], false, 1000, 100)
       route(q, ARGV[6], true, 1000, 100)
       route(q, ARGV[7], true, 1000, 100)
       return 0`,
      qKeys(keys),
      [keys.base, env('w1'), env('p1', ',"priority":3'), env('g1', ',"group":"acme"'), env('g2', ',"group":"acme"'), env('w0'), env('g0', ',"group":"acme"')],
    );
    expect(ids(await redis.lrange(keys.wait, 0, -1))).toEqual(['w0', 'w1']);
    expect(await redis.zrange(keys.prio, 0, -1, 'WITHSCORES')).toEqual([env('p1', ',"priority":3'), '1300']);
    expect(await redis.lrange(keys.groups, 0, -1)).toEqual(['acme']);
    expect(ids(await redis.lrange(keys.group('acme'), 0, -1))).toEqual(['g0', 'g1', 'g2']);
  });
});

describe('take-sources.lua', () => {
  const take = (redis: ReturnType<typeof scratchQueue>['redis'], k: QueueKeys, max: number, now: number) =>
    runFragmentsJson<{ items: string[]; origins: Array<string | number | false> }>(
      redis,
      ['take-sources.lua'],
      `${Q}
       local items, origins = take_sources(q, tonumber(ARGV[2]), tonumber(ARGV[3]))
       local o = {}
       for i = 1, #items do o[i] = origins[i] end
       return cjson.encode({ items = items, origins = o })`,
      qKeys(k),
      [k.base, max, now],
    );

  it('takes due prioritized calls first, then the wait list, then prioritized calls not yet due', async () => {
    const { redis, keys } = scratchQueue();
    await redis.rpush(keys.wait, env('w1'), env('w2'));
    await redis.zadd(keys.prio, 500, env('due2'), 100, env('due1'), 5000, env('later'));
    const got = await take(redis, keys, 10, 1000);
    expect(ids(got.items)).toEqual(['due1', 'due2', 'w1', 'w2', 'later']);
    expect(got.origins).toEqual([100, 500, false, false, 5000]);
  });

  it('takes the wait list and each group in turn, one call each round, and drops emptied groups from the ring', async () => {
    const { redis, keys } = scratchQueue();
    await redis.rpush(keys.wait, env('w1'), env('w2'));
    await redis.rpush(keys.group('a'), env('a1'), env('a2'), env('a3'));
    await redis.rpush(keys.group('b'), env('b1'));
    await redis.rpush(keys.groups, 'a', 'b');
    const got = await take(redis, keys, 6, 1000);
    expect(ids(got.items)).toEqual(['w1', 'a1', 'b1', 'w2', 'a2', 'a3']);
    expect(got.origins).toEqual([false, 'a', 'b', false, 'a', 'a']);
    expect(await redis.llen(keys.groups)).toBe(0);
  });

  it('stops at max mid-round and leaves the ring turned to the next group', async () => {
    const { redis, keys } = scratchQueue();
    await redis.rpush(keys.group('a'), env('a1'), env('a2'));
    await redis.rpush(keys.group('b'), env('b1'), env('b2'));
    await redis.rpush(keys.groups, 'a', 'b');
    expect(ids((await take(redis, keys, 3, 1000)).items)).toEqual(['a1', 'b1', 'a2']);
    expect(ids((await take(redis, keys, 3, 1000)).items)).toEqual(['b2']);
  });

  it('promotes due delayed calls to where they wait, and says when the next one is due', async () => {
    const { redis, keys } = scratchQueue();
    await redis.zadd(keys.delayed, 900, env('d1', ',"group":"a"'), 950, env('d2', ',"priority":2'), 1500, env('d3'));
    const next = await runFragments(redis, ['take-sources.lua'], `${Q} take_promote(q, 1000, 10, 100) return next_due_ms(q, 1000)`, qKeys(keys), [keys.base]);
    expect(next).toBe(500);
    expect(ids(await redis.lrange(keys.group('a'), 0, -1))).toEqual(['d1']);
    expect(await redis.zscore(keys.prio, env('d2', ',"priority":2'))).toBe('1200');
    expect(await redis.zcard(keys.delayed)).toBe(1);
    expect(await runFragments(redis, ['take-sources.lua'], `${Q} redis.call('DEL', q.delayed) return next_due_ms(q, 1000)`, qKeys(keys), [keys.base])).toBe(-1);
  });

  it('hands calls back to the head of where they came from, in order', async () => {
    const { redis, keys } = scratchQueue();
    await redis.rpush(keys.wait, env('w9'));
    await runFragments(
      redis,
      ['take-sources.lua'],
      `${Q} take_return(q, { ARGV[2], ARGV[3], ARGV[4], ARGV[5] }, { false, false, 700, 'a' }, 2) return 0`,
      qKeys(keys),
      [keys.base, env('w0'), env('w1'), env('p1'), env('a1')],
    );
    expect(ids(await redis.lrange(keys.wait, 0, -1))).toEqual(['w1', 'w9']);
    expect(await redis.zscore(keys.prio, env('p1'))).toBe('700');
    expect(ids(await redis.lrange(keys.group('a'), 0, -1))).toEqual(['a1']);
    expect(await redis.lrange(keys.groups, 0, -1)).toEqual(['a']);
  });
});

it('leaves prioritized calls not yet due alone when the wait list fills the take', async () => {
  const { redis, keys } = scratchQueue();
  await redis.rpush(keys.wait, env('w1'), env('w2'));
  await redis.zadd(keys.prio, 5000, env('later'));
  const got = (await runFragmentsJson<{ items: string[] }>(
    redis,
    ['take-sources.lua'],
    `${Q} local items = take_sources(q, 2, 1000) return cjson.encode({ items = items })`,
    qKeys(keys),
    [keys.base],
  )).items;
  expect(ids(got)).toEqual(['w1', 'w2']);
  expect(await redis.zcard(keys.prio)).toBe(1);
});
