import { readFileSync } from 'node:fs';
import type { Connection } from './connection.js';
import type { QueueKeys } from '../wire/keys.js';

/**
 * The typed table of Lua scripts. Each `.lua` file in ./lua is named `<name>-<numberOfKeys>`
 * and opens with a KEYS/ARGV/returns header. They are registered with ioredis' defineCommand,
 * which sends EVALSHA and falls back to EVAL on NOSCRIPT per connection (ioredis lib/Script.ts),
 * so a Redis restart that flushes the script cache needs nothing from us.
 */
const FILES = {
  enqueue: 'enqueue-3.lua',
  enqueueBatch: 'enqueue-batch-3.lua',
  take: 'take-8.lua',
  complete: 'complete-5.lua',
  extend: 'extend-1.lua',
  maintain: 'maintain-7.lua',
  release: 'release-3.lua',
  cancel: 'cancel-3.lua',
  replay: 'replay-2.lua',
} as const;

function read(file: string): string {
  const text = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
  // Redis has no module system for scripts: `-- @include x.lua` pastes a shared helper.
  return text.replace(/^-- @include (\S+)$/gm, (_, name: string) => read(`include/${name}`));
}

type ScriptName = keyof typeof FILES;
type Arg = string | number;
type Raw = (...args: Arg[]) => Promise<unknown>;

const sources = new Map<ScriptName, { lua: string; numberOfKeys: number }>();

function source(name: ScriptName): { lua: string; numberOfKeys: number } {
  let s = sources.get(name);
  if (!s) {
    const file = FILES[name];
    const keys = /-(\d+)\.lua$/.exec(file);
    if (!keys?.[1]) throw new Error(`script file ${file} does not end in -<numberOfKeys>.lua`);
    s = { lua: read(file), numberOfKeys: Number(keys[1]) };
    sources.set(name, s);
  }
  return s;
}

const DEFINED = Symbol('taskwire.scripts');

/**
 * Commands written at once rather than through ioredis' auto-pipeline (see connection.ts).
 * Scripts that carry a batch we built ourselves (in a setImmediate, to catch everything the poll
 * phase handed us): auto-pipelining would hold each for one more setImmediate, which from inside
 * the check phase is the next turn of the event loop (issue 5: sequential p50 0.36 → 0.29 ms in
 * key mode, 0.31 → 0.24 ms in pubsub, +7% calls/s at 1,000 in flight).
 */
export const UNPIPELINED_COMMANDS: readonly string[] = [
  ...(['take', 'complete', 'enqueueBatch'] satisfies ScriptName[]).map((n) => `tw_${n}`),
  // The client's HDEL of the replies it has read (client/reply-inbox.ts; an UNLINK of reply keys
  // before): through ioredis' Pipeline objects, whether auto or explicit, it made the
  // client promote ~13 MB/s to the old generation at 3,000 sequential calls/s (scavenges of
  // 2-3 ms instead of <1 ms). Its UNLINKs of stored payloads likewise.
  'hdel',
  'unlink',
];

function raw(redis: Connection, name: ScriptName): Raw {
  const holder = redis as unknown as Record<PropertyKey, unknown>;
  if (holder[DEFINED] !== true) {
    for (const n of Object.keys(FILES) as ScriptName[]) {
      redis.defineCommand(`tw_${n}`, source(n));
    }
    holder[DEFINED] = true;
  }
  return (holder[`tw_${name}`] as Raw).bind(redis);
}

export interface TakenCall {
  token: string;
  raw: string;
  deliveries: number;
}

/** Calls delivered `from` times or more without being settled are suspects; see take-8.lua. */
export interface SuspectRule {
  from: number;
  /** This worker runs no suspect now, so it may take one. */
  mayTake: boolean;
}

export interface Taken {
  calls: TakenCall[];
  /** A suspect this worker may not take now stopped the take: wait for its own suspect to end. */
  blocked: boolean;
}

/** One settlement in a `complete` batch; see complete-5.lua for the meaning of each field. */
export interface Settlement {
  token: string;
  callId: string;
  action: 'h' | 'k' | 'p' | '-' | 'r';
  /** The calling client's id ('h', 'k', 'p'), the retry delay in ms ('r'), else ''. */
  to: string;
  payload: string;
  deadReason: string;
  /** Idempotency key name ('' for none) and how long its result is kept. */
  idem: string;
  idemTtlMs: number;
  /**
   * '' when the call carried its input; for a stored input (wire/keys.ts), which is deleted now,
   * '-' or, for a dead letter, the input's text to keep in it. Never set on a retry.
   */
  input: string;
}

/** Where a follower of an idempotent call wants its copy of the reply: see deliver.lua. */
export type ReplySpec = string;

export interface EnqueueArgs {
  raw: string;
  workerTtlMs: number;
  callId: string;
  idem: string;
  idemTtlMs: number;
  replySpec: ReplySpec;
  replyTtlMs: number;
  inboxTtlMs: number;
  /** How long a re-sent enqueue of this call is recognised (its timeout). */
  markerTtlMs: number;
}

export interface EnqueueBatchArgs {
  /** Names the batch's enqueued marker, so a re-sent batch is recognised. */
  batchId: string;
  workerTtlMs: number;
  markerTtlMs: number;
  raws: readonly string[];
}

/** Per-worker settings of `complete`, the same for every batch. */
export interface CompleteOptions {
  inboxTtlMs: number;
  deadMaxLen: number;
  replyTtlMs: number;
  /** `<prefix>:reply:`, see replyChannelPrefix. */
  channelPrefix: string;
}

export interface Scripts {
  enqueue(keys: QueueKeys, args: EnqueueArgs): Promise<number>;
  /** Calls without idempotency keys, many per round trip; see enqueue-batch-3.lua. */
  enqueueBatch(keys: QueueKeys, args: EnqueueBatchArgs): Promise<number>;
  cancel(keys: QueueKeys, raw: string, callId: string, deadline: number): Promise<number>;
  replay(keys: QueueKeys, entryId: string, raw: string): Promise<number>;
  take(keys: QueueKeys, workerId: string, max: number, leaseMs: number, maxBytes: number, deadMaxLen: number, suspects: SuspectRule): Promise<Taken>;
  complete(keys: QueueKeys, items: readonly Settlement[], options: CompleteOptions): Promise<number[]>;
  extend(keys: QueueKeys, leaseMs: number, tokens: readonly string[]): Promise<string[]>;
  maintain(keys: QueueKeys, workerId: string, workerTtlMs: number, limit: number, alive: boolean): Promise<[number, number, number]>;
  release(keys: QueueKeys, tokens: readonly string[]): Promise<number>;
}

export function scripts(redis: Connection): Scripts {
  return {
    enqueueBatch: async (k, a) =>
      Number(await raw(redis, 'enqueueBatch')(k.wait, k.workers, k.enqueued(`batch:${a.batchId}`), a.workerTtlMs, a.markerTtlMs, ...a.raws)),
    enqueue: async (k, a) =>
      Number(
        await raw(redis, 'enqueue')(
          k.wait, k.workers, k.enqueued(a.callId),
          a.raw, a.workerTtlMs, a.idem, a.idemTtlMs, a.callId, a.replySpec, a.replyTtlMs, a.inboxTtlMs, a.markerTtlMs,
        ),
      ),
    cancel: async (k, rawEnvelope, callId, deadline) =>
      Number(await raw(redis, 'cancel')(k.wait, k.cancelled, k.deliveries, rawEnvelope, callId, deadline, k.cancelChannel)),
    replay: async (k, entryId, rawEnvelope) => Number(await raw(redis, 'replay')(k.dead, k.wait, entryId, rawEnvelope)),
    take: async (k, workerId, max, leaseMs, maxBytes, deadMaxLen, suspects) => {
      const flat = (await raw(redis, 'take')(
        k.wait, k.claim(workerId), k.active, k.bodies, k.deliveries, k.seq, k.dead, k.cancelled,
        max, leaseMs, maxBytes, deadMaxLen, suspects.from, suspects.mayTake ? '1' : '0',
      )) as Array<string | number>;
      const calls: TakenCall[] = [];
      // Tokens are consecutive: the script returns the one before the first.
      const before = Number(flat[1]);
      for (let i = 2, j = 1; i + 1 < flat.length; i += 2, j++) {
        calls.push({ token: String(before + j), raw: String(flat[i]), deliveries: Number(flat[i + 1]) });
      }
      return { calls, blocked: Number(flat[0]) === 1 };
    },
    complete: async (k, items, o) => {
      const args: Arg[] = [o.inboxTtlMs, o.deadMaxLen, o.replyTtlMs, k.base, o.channelPrefix];
      // Five arguments per call; the four optional ones only when set (see complete-5.lua).
      for (const s of items) {
        if (s.deadReason === '' && s.idem === '' && s.input === '') args.push(s.token, s.callId, s.action, s.to, s.payload);
        else args.push(s.token, s.callId, `${s.action}x`, s.to, s.payload, s.deadReason, s.idem, s.idemTtlMs, s.input);
      }
      const res = (await raw(redis, 'complete')(k.active, k.bodies, k.deliveries, k.dead, k.delayed, ...args)) as number[];
      return res.map(Number);
    },
    extend: async (k, leaseMs, tokens) => ((await raw(redis, 'extend')(k.active, leaseMs, ...tokens)) as unknown[]).map(String),
    maintain: async (k, workerId, ttl, limit, alive) => {
      const r = (await raw(redis, 'maintain')(
        k.active, k.bodies, k.wait, k.workers, k.delayed, k.cancelled, k.deliveries,
        workerId, ttl, limit, k.claimPrefix, alive ? '1' : '0',
      )) as number[];
      return [Number(r[0]), Number(r[1]), Number(r[2])];
    },
    release: async (k, tokens) => Number(await raw(redis, 'release')(k.active, k.bodies, k.wait, ...tokens)),
  };
}
