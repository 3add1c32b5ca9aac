import { describe, expect, it } from 'vitest';
import { ScheduleStore } from '../../src/transport/schedule-store.js';
import { encodeRecord, scheduleCallId, tickEnvelope, type ScheduleRecord } from '../../src/wire/schedule-record.js';
import { timingKey } from '../../src/wire/schedule-timing.js';
import { envelopeId } from '../../src/wire/protocol.js';
import { runFragmentsJson } from '../support/lua.js';
import { scratchQueue } from '../support/redis.js';

/** The fire script alone, on a real Redis: the compare-and-set that makes a tick fire once. */

function record(rev: string, extra: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    v: 1,
    rev,
    timing: timingKey({ everyMs: 1_000 }),
    created: 1,
    updated: 1,
    id: 's1',
    task: 'beat',
    everyMs: 1_000,
    catchUp: 'one',
    input: { json: { tag: 'x' } },
    timeoutMs: 5_000,
    ...extra,
  };
}

async function setup(extra: Partial<ScheduleRecord> = {}) {
  const { redis, keys } = scratchQueue('sched');
  const store = new ScheduleStore(redis);
  const now = await store.now();
  const tick = now - 500;
  const r = record('rev-a', extra);
  await store.upsert(keys, 's1', encodeRecord(r), tick);
  const fire = (o: { rev?: string; due?: number; envelope?: string | undefined } = {}) =>
    store.fire(keys, { id: 's1', rev: o.rev ?? 'rev-a', due: o.due ?? tick, next: tick + 1_000, envelope: 'envelope' in o ? o.envelope : tickEnvelope(r, tick, now) });
  return { redis, keys, store, now, tick, r, fire };
}

describe('schedule-fire-6.lua', () => {
  it('fires a tick once: a second run for the same tick (another worker, a re-sent command) pushes nothing', async () => {
    const t = await setup();
    expect(await t.fire()).toBe('fired');
    expect(await t.fire()).toBe('lost');
    const waiting = await t.redis.lrange(t.keys.wait, 0, -1);
    expect(waiting.map((raw) => envelopeId(raw))).toEqual([scheduleCallId('s1', t.tick)]);
    expect(await t.redis.zscore(t.keys.ticks, 's1')).toBe(String(t.tick + 1_000));
    // Parked workers are woken.
    expect(await t.redis.llen(t.keys.marker)).toBe(1);
  });

  it('a second run for the same tick does nothing also when the next tick is due already (a catch-up)', async () => {
    const t = await setup();
    const run = () => t.store.fire(t.keys, { id: 's1', rev: 'rev-a', due: t.tick, next: t.tick + 100, envelope: tickEnvelope(t.r, t.tick, t.now) });
    expect(await run()).toBe('fired');
    expect(await run()).toBe('lost');
    expect(await t.redis.llen(t.keys.wait)).toBe(1);
  });

  it('a run computed from a replaced record, or for another tick, does nothing', async () => {
    const t = await setup();
    expect(await t.fire({ rev: 'rev-old' })).toBe('lost');
    expect(await t.fire({ due: t.tick - 1_000 })).toBe('lost');
    expect(await t.redis.llen(t.keys.wait)).toBe(0);
    expect(await t.redis.zscore(t.keys.ticks, 's1')).toBe(String(t.tick));
  });

  it('a tick not yet due by Redis’ clock is not fired, whatever the worker’s clock says', async () => {
    const t = await setup();
    await t.redis.zadd(t.keys.ticks, t.now + 60_000, 's1');
    expect(await t.fire({ due: t.now + 60_000 })).toBe('lost');
    expect(await t.redis.llen(t.keys.wait)).toBe(0);
  });

  it('a removed schedule is not fired', async () => {
    const t = await setup();
    await t.store.remove(t.keys, 's1');
    expect(await t.fire()).toBe('lost');
    expect(await t.redis.llen(t.keys.wait)).toBe(0);
  });

  it('a skipped tick moves on without a call', async () => {
    const t = await setup();
    expect(await t.fire({ envelope: undefined })).toBe('skipped');
    expect(await t.redis.llen(t.keys.wait)).toBe(0);
    expect(await t.redis.zscore(t.keys.ticks, 's1')).toBe(String(t.tick + 1_000));
  });

  it('a call with a priority waits with prioritized calls, one with a group in its group (route.lua)', async () => {
    const p = await setup({ priority: 3 });
    expect(await p.fire()).toBe('fired');
    expect(await p.redis.zcard(p.keys.prio)).toBe(1);
    const g = await setup({ group: 'tenant-a' });
    expect(await g.fire()).toBe('fired');
    expect(await g.redis.llen(g.keys.group('tenant-a'))).toBe(1);
    expect(await g.redis.lrange(g.keys.groups, 0, -1)).toEqual(['tenant-a']);
  });
});

describe('schedule-due-2.lua', () => {
  it('reads due schedules with their records, earliest first, and when the next comes', async () => {
    const { redis, keys } = scratchQueue('sched');
    const store = new ScheduleStore(redis);
    expect(await store.due(keys, 10)).toMatchObject({ next: undefined, due: [] });
    const now = await store.now();
    await store.upsert(keys, 'b', encodeRecord(record('r', { id: 'b' })), now - 10);
    await store.upsert(keys, 'a', encodeRecord(record('r', { id: 'a' })), now - 20);
    await store.upsert(keys, 'c', encodeRecord(record('r', { id: 'c' })), now + 60_000);
    const scan = await store.due(keys, 10);
    expect(scan.due.map((d) => [d.id, d.tick])).toEqual([
      ['a', now - 20],
      ['b', now - 10],
    ]);
    expect(JSON.parse(scan.due[0]?.raw ?? '{}')).toMatchObject({ id: 'a', rev: 'r' });
    expect(scan.next).toBe(now + 60_000);
    expect((await store.due(keys, 1)).due).toHaveLength(1);
  });
});

describe('schedule-head.lua', () => {
  it('reads revision, timing key and creation time as decodeRecord requires them', async () => {
    const { redis } = scratchQueue();
    const raw = encodeRecord(record('rev-x', { created: 1234 }));
    const got = await runFragmentsJson<unknown[]>(redis, ['schedule-head.lua'], 'return cjson.encode({ schedule_head(ARGV[1]) })', [], [raw]);
    expect(got).toEqual(['rev-x', timingKey({ everyMs: 1_000 }), '1234']);
    expect(await runFragmentsJson(redis, ['schedule-head.lua'], "return cjson.encode({ schedule_head('{\"rev\":1}') or false })")).toEqual([false]);
  });
});
