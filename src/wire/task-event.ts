import { type SerializedError, type TaskwireError } from '../errors.js';
import { replyError } from './envelope.js';
import type { Serializer } from './serializer.js';

/**
 * A completion event (docs/PROTOCOL.md, *Events*), published on `<p>:events:<task>` while
 * someone watches the task: a call that succeeded, or failed for good (no retry left). Or a
 * worker's ack of a watch (`ack`: its id), which tells a new listener it is heard.
 */
export type TaskEventMessage =
  | { v: 1; id: string; task: string; ok: true; output: unknown }
  | { v: 1; id: string; task: string; ok: false; error: SerializedError }
  | { v: 1; ack: string };

/** What a watcher of a task gets (client.$events). */
export type TaskEvent<O> =
  | { readonly id: string; readonly task: string; readonly ok: true; readonly output: O }
  | { readonly id: string; readonly task: string; readonly ok: false; readonly error: TaskwireError<string, unknown> };

export function encodeOkEvent(id: string, task: string, output: unknown, serializer: Serializer): string {
  return JSON.stringify({ v: 1, id, task, ok: true, output: serializer.serialize(output) });
}

export function encodeFailedEvent(id: string, task: string, error: TaskwireError<string, unknown>, serializer: Serializer): string {
  const json = error.toJSON();
  return JSON.stringify({ v: 1, id, task, ok: false, error: json.data === undefined ? json : { ...json, data: serializer.serialize(json.data) } });
}

export function encodeAck(workerId: string): string {
  return JSON.stringify({ v: 1, ack: workerId });
}

/** An event, an ack (`{ ack }`), or undefined for anything else on the channel. */
export function decodeTaskEvent(text: string, serializer: Serializer): TaskEvent<unknown> | { ack: string } | undefined {
  let m: Partial<Record<string, unknown>>;
  try {
    m = JSON.parse(text) as Partial<Record<string, unknown>>;
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || m['v'] !== 1) return undefined;
  if (typeof m['ack'] === 'string') return { ack: m['ack'] };
  const { id, task } = m;
  if (typeof id !== 'string' || typeof task !== 'string') return undefined;
  try {
    if (m['ok'] === true) return { id, task, ok: true, output: serializer.deserialize(m['output']) };
    const e = m['error'] as SerializedError | undefined;
    if (m['ok'] === false && typeof e?.code === 'string' && typeof e.message === 'string') {
      return { id, task, ok: false, error: replyError({ v: 1, id, ok: false, error: { ...e, defined: e.defined === true } }, (d) => serializer.deserialize(d)) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
