import { describe, expect, it, onTestFinished } from 'vitest';
import { ENVELOPE_PREFIX, envelopeId, UNRUN_REPLY_TAILS } from '../../src/wire/protocol.js';
import type { QueueKeys } from '../../src/wire/keys.js';
import { runFragments, runFragmentsJson } from '../support/lua.js';
import { scratchQueue } from '../support/redis.js';

/** The fragments every script shares (src/transport/lua/include), each alone on a real Redis. */
const setup = () => scratchQueue();

describe('time.lua', () => {
  it("reads Redis' clock in whole milliseconds", async () => {
    const { redis } = setup();
    const [s, us] = await redis.time();
    const now = Number(await runFragments(redis, ['time.lua'], 'return now_ms()'));
    const before = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now - before).toBeLessThan(1000);
    expect(Number.isInteger(now)).toBe(true);
  });
});

describe('envelope.lua', () => {
  it('holds the same prefix as src/wire/protocol.ts and reads ids as envelopeId does', async () => {
    const { redis } = setup();
    const texts = [`${ENVELOPE_PREFIX}abc.1","task":"t"}`, '{"v":2,"id":"x"}', 'garbage', `${ENVELOPE_PREFIX}"}`, `{ "v":1,"id":"spaced"}`];
    const got = await runFragmentsJson<Array<string | false>>(
      redis,
      ['envelope.lua'],
      `local out = { ENVELOPE_PREFIX }
       for i, raw in ipairs(cjson.decode(ARGV[1])) do out[i + 1] = envelope_id(raw) or false end
       return cjson.encode(out)`,
      [],
      [JSON.stringify(texts)],
    );
    expect(got[0]).toBe(ENVELOPE_PREFIX);
    expect(got.slice(1)).toEqual(texts.map((t) => envelopeId(t) ?? false));
    expect(got.slice(1)).toEqual(['abc.1', false, false, false, false]);
  });

  it('holds the same CANCELLED reply tails as src/wire/protocol.ts (what signed clients and workers pass instead)', async () => {
    const { redis } = setup();
    const got = await runFragmentsJson<string[]>(redis, ['envelope.lua'], 'return cjson.encode({ JOINED_WITHDRAWN_TAIL, CANCELLED_UNRUN_TAIL })');
    expect(got).toEqual([UNRUN_REPLY_TAILS.joinedWithdrawn, UNRUN_REPLY_TAILS.cancelledUnrun]);
    // Each makes a well-formed reply after a call id.
    for (const tail of got) expect(JSON.parse(`${ENVELOPE_PREFIX}c.1${tail}`)).toMatchObject({ id: 'c.1', ok: false, error: { code: 'CANCELLED' } });
  });

  it('copies a reply under another call id, keeping everything after the id', async () => {
    const { redis } = setup();
    const reply = `${ENVELOPE_PREFIX}owner.7","ok":true,"output":{"json":1}}`;
    const got = await runFragmentsJson<Array<string | false>>(
      redis,
      ['envelope.lua'],
      `return cjson.encode({ envelope_with_id(ARGV[1], 'follower.2') or false, envelope_with_id('nope', 'x') or false })`,
      [],
      [reply],
    );
    expect(got).toEqual([`${ENVELOPE_PREFIX}follower.2","ok":true,"output":{"json":1}}`, false]);
  });
});

describe('keys.lua', () => {
  it('builds inbox, replies, input and marker keys as src/wire/keys.ts does', async () => {
    const { redis, keys } = setup();
    const got = await runFragmentsJson<string[]>(
      redis,
      ['keys.lua'],
      `return cjson.encode({ inbox_key(ARGV[1], 'cl'), replies_key(ARGV[1], 'cl'), input_key(ARGV[1], 'call.1'), marker_key(ARGV[1]) })`,
      [],
      [keys.base],
    );
    expect(got).toEqual([keys.inbox('cl'), keys.replies('cl'), keys.input('call.1'), keys.marker]);
  });
});

describe('wake.lua', () => {
  it('leaves at most one token on the marker list however often it is called', async () => {
    const { redis, keys } = setup();
    await runFragments(redis, ['wake.lua'], 'wake(KEYS[1]) wake(KEYS[1]) wake(KEYS[1]) return 0', [keys.marker]);
    expect(await redis.lrange(keys.marker, 0, -1)).toEqual(['1']);
    await redis.lpop(keys.marker);
    await runFragments(redis, ['wake.lua'], 'wake(KEYS[1]) return 0', [keys.marker]);
    expect(await redis.llen(keys.marker)).toBe(1);
  });
});

describe('admit.lua', () => {
  const admit = (redis: ReturnType<typeof setup>['redis'], keys: QueueKeys, workerTtl: number) =>
    runFragments(redis, ['admit.lua'], `return admit(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) or 'admitted'`, [keys.enqueued('c.1'), keys.workers], [workerTtl, 60_000]);

  it('refuses with -1 when no worker sent a heartbeat within the ttl, and skips the check for ttl 0', async () => {
    const { redis, keys } = setup();
    expect(await admit(redis, keys, 10_000)).toBe(-1);
    expect(await redis.exists(keys.enqueued('c.1'))).toBe(0);
    expect(await admit(redis, keys, 0)).toBe('admitted');
  });

  it('admits once with a live worker, and answers 0 to a re-sent enqueue', async () => {
    const { redis, keys } = setup();
    await redis.zadd(keys.workers, Date.now(), 'w1');
    expect(await admit(redis, keys, 10_000)).toBe('admitted');
    expect(await redis.pttl(keys.enqueued('c.1'))).toBeGreaterThan(50_000);
    expect(await admit(redis, keys, 10_000)).toBe(0);
  });
});

describe('deliver.lua', () => {
  it("copies a stored reply to a follower's replies hash and inbox, or its channel, and nowhere for '-'", async () => {
    const { redis, keys } = setup();
    const reply = `${ENVELOPE_PREFIX}owner.1","ok":true,"output":{"json":5}}`;
    const copy = (id: string) => reply.replace('owner.1', id);
    const sub = redis.duplicate();
    onTestFinished(() => sub.disconnect());
    const heard: string[] = [];
    await sub.subscribe(`${keys.base}:chan`);
    sub.on('message', (_c, m: string) => heard.push(m));
    await runFragments(
      redis,
      ['deliver.lua'],
      `deliver_copy(ARGV[1], 'f.1', ARGV[2], 60000, 300000)
       deliver_copy(ARGV[1], 'f.2', ARGV[3], 60000, 300000)
       deliver_copy(ARGV[1], 'f.3', '-', 60000, 300000)
       return 0`,
      [],
      [reply, `h|${keys.replies('cl')}|${keys.inbox('cl')}`, `p|${keys.base}:chan`],
    );
    expect(await redis.hgetall(keys.replies('cl'))).toEqual({ 'f.1': copy('f.1') });
    expect(await redis.lrange(keys.inbox('cl'), 0, -1)).toEqual([copy('f.1')]);
    expect(await redis.pttl(keys.inbox('cl'))).toBeGreaterThan(200_000);
    await expect.poll(() => heard).toEqual([copy('f.2')]);
  });

  it("only ever extends a replies hash's TTL", async () => {
    const { redis, keys } = setup();
    await redis.hset(keys.replies('cl'), 'old', '{}');
    await redis.pexpire(keys.replies('cl'), 600_000);
    await runFragments(redis, ['deliver.lua'], `keep_at_least(KEYS[1], 60000) return 0`, [keys.replies('cl')]);
    expect(await redis.pttl(keys.replies('cl'))).toBeGreaterThan(500_000);
    await redis.persist(keys.replies('cl'));
    await runFragments(redis, ['deliver.lua'], `keep_at_least(KEYS[1], 60000) return 0`, [keys.replies('cl')]);
    const ttl = await redis.pttl(keys.replies('cl'));
    // A hash without a TTL gets one (PEXPIRE GT would leave it without).
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
