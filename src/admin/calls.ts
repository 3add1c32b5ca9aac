import { decodeCall } from '../wire/envelope.js';
import type { QueueKeys } from '../wire/keys.js';
import type { Serializer } from '../wire/serializer.js';
import type { QueueViewStore } from '../transport/queue-view-store.js';
import { readableJson, type Json } from './readable-json.js';

export type CallState = 'waiting' | 'running' | 'delayed';

export const CALL_STATES: readonly CallState[] = ['waiting', 'running', 'delayed'];

/** One call on a queue, as an operator sees it (`taskwire dashboard`'s running and delayed lists). */
export interface CallView {
  state: CallState;
  /** null when the envelope is not a readable call (it will be dead-lettered when taken). */
  callId: string | null;
  task: string | null;
  attempt: number | null;
  /** ms since epoch (caller's clock). */
  sentAt: number | null;
  deadline: number | null;
  /** The input when the envelope carries it and it decodes; stored inputs (8 KiB or more) are not read. */
  input: Json | null;
  /** Running: when its lease runs out; delayed: when it may run again (ms, Redis clock). */
  until: number | null;
}

function view(state: CallState, raw: string | undefined, until: number | null, serializer: Serializer): CallView {
  const decoded = raw === undefined ? undefined : decodeCall(raw);
  const call = decoded?.ok ? decoded.value : undefined;
  let input: Json | null = null;
  if (call && call.stored !== 1) {
    try {
      input = readableJson(serializer.deserialize(call.input)) ?? null;
    } catch {
      input = null;
    }
  }
  return {
    state,
    callId: call?.id ?? null,
    task: call?.task ?? null,
    attempt: call?.attempt ?? null,
    sentAt: call?.sentAt ?? null,
    deadline: call?.deadline ?? null,
    input,
    until,
  };
}

/** Up to `count` calls of one state: waiting next first, running lease-expiring first, delayed due first. */
export async function listCalls(store: QueueViewStore, keys: QueueKeys, state: CallState, count: number, serializer: Serializer): Promise<CallView[]> {
  if (state === 'waiting') return (await store.waiting(keys, count)).map((raw) => view(state, raw, null, serializer));
  if (state === 'running') return (await store.running(keys, count)).map((r) => view(state, r.raw, r.leaseUntil, serializer));
  return (await store.delayed(keys, count)).map((d) => view(state, d.raw, d.dueAt, serializer));
}
