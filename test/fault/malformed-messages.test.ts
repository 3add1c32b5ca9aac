import { afterEach, expect, it } from 'vitest';
import { decodeReply } from '../../src/wire/envelope.js';
import { superjsonSerializer } from '../../src/wire/serializer.js';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';
import { catalogue, prng, RAW_CLIENT, rawKey, REASONS, type RawMessage } from './support/raw-messages.js';
import { redisCliPipe } from './support/redis-cli.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
afterEach(async () => env?.cleanup());

const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Messages per redis-cli run; good calls from a real client go out while each run pushes. */
const CHUNK = 500;
const CLIENT_CALLS_PER_CHUNK = 40;

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** The dead stream as written, envelopes as bytes (binary garbage must match to the byte). */
async function deadEntries(e: FaultEnv): Promise<Array<{ reason: string; envelope: Buffer }>> {
  const rows = await e.redis.xrangeBuffer(e.keys.dead, '-', '+');
  return rows.map(([, flat]) => {
    const f = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) f.set(String(flat[i]), flat[i + 1] as Buffer);
    return { reason: String(f.get('reason') ?? ''), envelope: f.get('envelope') ?? Buffer.alloc(0) };
  });
}

/** Reason without its free-text detail, for counting: `PROTOCOL: bad envelope`, `UNKNOWN_TASK`, … */
function reasonGroup(reason: string): string {
  for (const [name, re] of Object.entries(REASONS)) if (re.test(reason)) return name;
  return `other: ${reason.slice(0, 80)}`;
}

/** What the replies hash holds for a raw call: `ok` plus the decoded output, an error code, or nothing. */
async function replyAt(e: FaultEnv, callId: string): Promise<{ code: string; output?: unknown } | undefined> {
  const raw = await e.redis.hget(e.keys.replies(RAW_CLIENT), callId);
  if (raw === null) return undefined;
  const decoded = decodeReply(raw);
  if (!decoded.ok) return { code: `unreadable reply: ${decoded.reason}` };
  const r = decoded.value;
  return r.ok ? { code: 'ok', output: superjsonSerializer.deserialize(r.output) } : { code: r.error.code };
}

it('sets thousands of malformed raw messages pushed with redis-cli aside with a reason, answers the hostile readable ones, and keeps serving', { timeout: 40_000 }, async () => {
  const e = (env = await faultEnv(redis.server.url));
  const worker = await e.worker({ options: { maxPayloadBytes: MAX_PAYLOAD_BYTES } });
  const before = await worker.probe();
  const messages = shuffled(catalogue({ deadline: Date.now() + 60_000, maxPayloadBytes: MAX_PAYLOAD_BYTES, copies: 50, depth: 100_000 }), prng(64));
  const malformed = messages.filter((m) => 'dead' in m.fate);
  const client = e.client({ defaultTimeoutMs: 20_000 });
  const ledger = new Ledger();

  const started = Date.now();
  let pushed = 0;
  for (let i = 0; i < messages.length; i += CHUNK) {
    const chunk = messages.slice(i, i + CHUNK);
    const cli = redisCliPipe(redis.server.port, chunk.map((m) => ['RPUSH', e.keys.wait, m.raw]));
    for (let j = 0; j < CLIENT_CALLS_PER_CHUNK; j++) {
      const n = (i / CHUNK) * CLIENT_CALLS_PER_CHUNK + j;
      const input = { id: `good${n}`, n, ms: 0 };
      ledger.track(input.id, client.work(input, { replyMode: n % 2 ? 'pubsub' : 'key' }), expectedWork(input));
      await new Promise((r) => setImmediate(r));
    }
    const { errors, replies } = await cli;
    expect(errors).toBe(0);
    pushed += replies;
  }
  const pushedMs = Date.now() - started;

  // Drained: nothing waiting, nothing leased, and as many dead letters as malformed messages
  // (if that never comes, the accounting below says which messages went where).
  await expect
    .poll(async () => {
      const [wait, active, dead] = await Promise.all([e.redis.llen(e.keys.wait), e.redis.zcard(e.keys.batches), e.redis.xlen(e.keys.dead)]);
      return wait === 0 && active === 0 && dead >= malformed.length;
    }, { timeout: 20_000, interval: 100 })
    .toBe(true)
    .catch(() => undefined);
  const drainedMs = Date.now() - started;
  await ledger.settle(10_000);
  const report = ledger.report(e.log.runs());
  const after = await worker.probe();

  // Every malformed message exactly once on the dead stream, with the reason its kind calls for.
  const expected = new Map<string, RawMessage[]>();
  for (const m of malformed) expected.set(rawKey(m.raw), [...(expected.get(rawKey(m.raw)) ?? []), m]);
  const dead = await deadEntries(e);
  const byReason: Record<string, number> = {};
  const byLabel: Record<string, number> = {};
  const wrongReason: string[] = [];
  const unexpectedDead: string[] = [];
  for (const d of dead) {
    byReason[reasonGroup(d.reason)] = (byReason[reasonGroup(d.reason)] ?? 0) + 1;
    const m = expected.get(rawKey(d.envelope))?.shift();
    if (!m) {
      unexpectedDead.push(`${d.reason.slice(0, 80)} ← ${d.envelope.toString('utf8', 0, 120)}`);
      continue;
    }
    const group = m.label.split('/')[0] ?? m.label;
    byLabel[group] = (byLabel[group] ?? 0) + 1;
    if ('dead' in m.fate && !m.fate.dead.test(d.reason)) wrongReason.push(`${m.label}: ${d.reason.slice(0, 120)}`);
  }
  const missing = [...expected.values()].flat().map((m) => `${m.label}: ${m.raw.toString('utf8', 0, 120)}`);

  // Answered messages got their answer; malformed ones that still named a caller told it.
  const replyProblems: string[] = [];
  const repliesByCode: Record<string, number> = {};
  for (const m of messages) {
    if (!m.reply) continue;
    const got = await replyAt(e, m.reply.callId);
    repliesByCode[got?.code ?? 'none'] = (repliesByCode[got?.code ?? 'none'] ?? 0) + 1;
    if (got?.code !== m.reply.code) replyProblems.push(`${m.label} ${m.reply.callId}: wanted ${m.reply.code}, got ${got?.code ?? 'no reply'}`);
    else if (m.reply.code === 'ok' && m.reply.input) {
      const want = expectedWork(m.reply.input);
      if (JSON.stringify(got.output) !== JSON.stringify(want)) replyProblems.push(`${m.label}: wrong result ${JSON.stringify(got.output)}`);
    }
  }

  const queue = {
    deliveries: await e.redis.hlen(e.keys.deliveries),
    batches: await e.redis.zcard(e.keys.batches),
    wait: await e.redis.llen(e.keys.wait),
  };
  figure('malformed-messages', {
    pushed,
    malformed: malformed.length,
    answered: messages.length - malformed.length,
    bytes: messages.reduce((n, m) => n + m.raw.length, 0),
    pushedMs,
    drainedMs,
    deadByReason: byReason,
    deadByKind: byLabel,
    repliesByCode,
    clientCalls: report,
    worker: after.stats,
    queue,
  });

  // 0 crashes: the same process answers, and nothing reached Object.prototype.
  expect(worker.alive).toBe(true);
  expect(after.polluted).toBe(false);
  expect(after.prototypeNames).toEqual(before.prototypeNames);
  expect(pushed).toBe(messages.length);
  expect({ wrongReason, unexpectedDead, missing: missing.slice(0, 20), missingCount: missing.length }).toEqual({ wrongReason: [], unexpectedDead: [], missing: [], missingCount: 0 });
  expect(dead).toHaveLength(malformed.length);
  expect(replyProblems.slice(0, 20)).toEqual([]);
  expect(queue).toEqual({ deliveries: 0, batches: 0, wait: 0 });
  // The worker set aside everything but the oversized messages (take-8.lua does those unread).
  expect(after.stats.deadLettered).toBe(malformed.length - (byReason['tooLarge'] ?? 0));
  expect(report).toMatchObject({ total: ledger.size, ok: ledger.size, wrong: 0, unknown: 0, duplicateOutcomes: 0 });
});
