import { describe, expect, it } from 'vitest';
import { callSchema, decodeCall, encodeCall, isCallEnvelope, isReplyEnvelope, replySchema } from '../../src/wire/envelope.js';

/**
 * The hot path checks envelopes by hand (isCallEnvelope / isReplyEnvelope) and leaves zod to
 * word the errors. A hand check looser than its schema would let a malformed call run, so both
 * are held to the same verdict over every single-field change of valid envelopes.
 */
const call = {
  v: 1,
  id: 'c-1',
  task: 'math.add',
  input: { json: { a: 1 } },
  reply: { mode: 'hash', client: 'client_1.a:b-c' },
  deadline: 1_800_000_000_000,
  attempt: 1,
  headers: { traceparent: '00-abc' },
  fp: 'abcd',
  sentAt: 1_700_000_000_000,
  idem: 'order-7',
  idemTtl: 60_000,
  retry: { attempts: 3, backoffMs: 10, maxDelayMs: 100 },
  progress: 1,
  then: { task: 'search.index', queue: 'search#0', timeout: 30_000, ttl: 60_000, fp: 'ab', then: { task: 'notify', queue: 'mail', timeout: 1, ttl: 1 } },
  catch: { task: 'alerts.failed', queue: 'mail', timeout: 30_000, ttl: 86_400_000 },
};
const okReply = { v: 1, id: 'c-1', ok: true, output: { json: 3 }, fp: 'abcd' };
const errReply = { v: 1, id: 'c-1', ok: false, error: { code: 'X', message: 'm', data: { json: 1 }, defined: true, retryable: false } };

const values: unknown[] = [
  undefined, null, true, false, 0, 1, -1, 0.5, 2, 100, 101, -0.5, 1e308, '', 'x', 'a"b', 'a\\b', 'hash', 'key', 'pubsub', 'spubsub', 'sp ace',
  'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(512), 'x'.repeat(513), [], ['x'], {}, { a: 'b' }, { a: 1 }, { json: 1 },
];

function variants(base: Record<string, unknown>, nested: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [base, { ...base, extra: 1 }];
  for (const key of Object.keys(base)) {
    for (const value of values) out.push({ ...base, [key]: value });
    const { [key]: _, ...without } = base;
    out.push(without);
    const inner = base[key];
    if (nested.includes(key) && typeof inner === 'object' && inner !== null) {
      for (const v of variants(inner as Record<string, unknown>, [])) out.push({ ...base, [key]: v });
    }
  }
  return out;
}

/** Holds a hand check to its schema's verdict on every value; returns how many both accepted. */
function sameVerdicts(all: readonly unknown[], schema: { safeParse(v: unknown): { success: boolean } }, check: (v: unknown) => boolean): number {
  let accepted = 0;
  for (const v of all) {
    const want = schema.safeParse(v).success;
    expect({ v, verdict: check(v) }).toEqual({ v, verdict: want });
    if (want) accepted++;
  }
  return accepted;
}

describe('envelope checks', () => {
  it('accepts exactly the call envelopes the schema accepts', () => {
    const all = variants(call, ['reply', 'retry', 'headers', 'then', 'catch']);
    const accepted = sameVerdicts(all, callSchema, isCallEnvelope);
    // Both verdicts occur: the comparison is not vacuous.
    expect(accepted).toBeGreaterThan(20);
    expect(all.length - accepted).toBeGreaterThan(100);
  });

  it('accepts a stored-input call exactly as the schema does: "stored":1 and no input, never both', () => {
    const { input: _, ...stub } = call;
    const all = [...variants({ ...stub, stored: 1 }, ['reply']), { ...call, stored: 1 }];
    expect(sameVerdicts(all, callSchema, isCallEnvelope)).toBeGreaterThan(20);
    expect(callSchema.safeParse({ ...call, stored: 1 }).success).toBe(false);
    expect(callSchema.safeParse(stub).success).toBe(false);
    expect(callSchema.safeParse({ ...stub, stored: 1 }).success).toBe(true);
  });

  it('accepts exactly the replies the schema accepts', () => {
    const all = [...variants(okReply, []), ...variants(errReply, ['error'])];
    const accepted = sameVerdicts(all, replySchema, isReplyEnvelope);
    expect(accepted).toBeGreaterThan(10);
    expect(all.length - accepted).toBeGreaterThan(50);
  });

  it('accepts a stored-output reply exactly as the schema does: a lease token and no output, never both', () => {
    const { output: _, ...stub } = okReply;
    const all = [...variants({ ...stub, stored: '42' }, []), { ...okReply, stored: '42' }, { ...stub, stored: '4x' }, { ...stub, stored: '1'.repeat(21) }];
    expect(sameVerdicts(all, replySchema, isReplyEnvelope)).toBeGreaterThan(5);
    expect(replySchema.safeParse({ ...okReply, stored: '42' }).success).toBe(false);
    expect(replySchema.safeParse({ ...stub, stored: '42' }).success).toBe(true);
  });

  it('encodes v and id first, omits absent fields and round-trips', () => {
    const { v: _, ...fields } = call;
    const raw = encodeCall({ ...fields, reply: { mode: 'hash', client: 'c1' } } as Parameters<typeof encodeCall>[0]);
    expect(raw.startsWith('{"v":1,"id":"c-1",')).toBe(true);
    const minimal = encodeCall({ id: 'm', task: 't', input: { json: 1 }, deadline: 2, attempt: 1, sentAt: 1 });
    expect(minimal).toBe('{"v":1,"id":"m","task":"t","input":{"json":1},"deadline":2,"attempt":1,"sentAt":1}');
    const decoded = decodeCall(raw);
    expect(decoded.ok && decoded.value.retry).toEqual(call.retry);
    // A stored input: the flag right after the task, and no input even if one is passed.
    const stored = encodeCall({ id: 'm', task: 't', stored: 1, input: { json: 1 }, deadline: 2, attempt: 1, sentAt: 1 });
    expect(stored).toBe('{"v":1,"id":"m","task":"t","stored":1,"deadline":2,"attempt":1,"sentAt":1}');
  });
});
