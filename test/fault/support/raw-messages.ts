/**
 * The raw messages fault test 8 pushes onto a queue behind taskwire's back: malformed ones
 * (each must end on the dead-letter stream with a reason) and hostile but readable ones (each
 * must be answered like any call). Every JSON message carries its own call id, every other
 * one a counter, so each can be found again on the dead stream.
 *
 * Where a message lands is decided by the worker in this order (src/worker/create-worker.ts):
 * size over maxPayloadBytes (take-8.lua, unread) → PAYLOAD_TOO_LARGE; not JSON → `PROTOCOL: not
 * JSON`; not an envelope → `PROTOCOL: bad envelope`; no such task → UNKNOWN_TASK; input the
 * serializer refuses → `PROTOCOL: input of <task> could not be decoded`. An input that decodes
 * but fails the task's schema is the caller's mistake: answered VALIDATION, not set aside.
 */

export type Fate =
  /** Set aside: one dead-letter entry whose reason matches. */
  | { dead: RegExp }
  /** Answered in its client's replies hash, like any call (`ok` with the right result, or VALIDATION). */
  | { answered: 'ok' | 'VALIDATION' };

export interface RawMessage {
  /** What it probes, `<group>/<variant>`: the test's figures count by group. */
  label: string;
  raw: Buffer;
  fate: Fate;
  /**
   * The call whose reply (in the replies hash) must hold an answer with this code: answered messages, and the
   * malformed ones that still name a call id and a reply target (their caller is told).
   */
  reply?: { callId: string; code: string; input?: { id: string; n: number } };
}

export const REASONS = {
  tooLarge: /^PAYLOAD_TOO_LARGE$/,
  notJson: /^PROTOCOL: not JSON: /,
  badEnvelope: /^PROTOCOL: bad envelope: /,
  protoKey: /^PROTOCOL: bad envelope: a key named "__proto__" \(prototype pollution\) is refused$/,
  unknownTask: /^UNKNOWN_TASK$/,
  unreadableInput: /^PROTOCOL: input of work could not be decoded: /,
} as const;

/** The client id raw messages name as their reply target (key mode). */
export const RAW_CLIENT = 'raw-sender';

export interface CatalogueOptions {
  /** Deadline written into every envelope (ms since epoch); far enough for all to run. */
  deadline: number;
  /** The worker's maxPayloadBytes. */
  maxPayloadBytes: number;
  /** Copies of each small template (each with its own id): sets how many thousands there are. */
  copies: number;
  /** Nesting depth of the deeply nested messages. */
  depth: number;
}

const POLLUTION = '{"polluted":true,"isAdmin":true}';

/** A canonical envelope (the shape encodeCall writes) for `work`, as text. */
function envelopeText(id: string, n: number, deadline: number, input = `{"json":{"id":"${id}","n":${n},"ms":0}}`): string {
  return `{"v":1,"id":"${id}","task":"work","input":${input},"reply":{"mode":"hash","client":"${RAW_CLIENT}"},"deadline":${deadline},"attempt":1,"sentAt":${deadline - 60_000}}`;
}

/** Inserts JSON members before the envelope's closing brace (so keys such as `__proto__` stay own keys). */
function withMembers(envelope: string, members: string): string {
  return `${envelope.slice(0, -1)},${members}}`;
}

/** Replaces the value of one top-level member of a canonical envelope. */
function withValue(envelope: string, field: string, value: string): string {
  const re = new RegExp(`"${field}":(\\{[^{}]*(?:\\{[^{}]*\\}[^{}]*)*\\}|"[^"]*"|[^,}]*)`);
  if (!re.test(envelope)) throw new Error(`raw-messages: no field ${field} in ${envelope}`);
  return envelope.replace(re, `"${field}":${value}`);
}

function without(envelope: string, field: string): string {
  const re = new RegExp(`,"${field}":(\\{[^{}]*(?:\\{[^{}]*\\}[^{}]*)*\\}|"[^"]*"|[^,}]*)`);
  if (!re.test(envelope)) throw new Error(`raw-messages: no field ${field} in ${envelope}`);
  return envelope.replace(re, '');
}

const nestedArrays = (depth: number, leaf = '0') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const nestedObjects = (depth: number, leaf = '0') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

/** A deterministic PRNG (mulberry32), so a failing run can be replayed message for message. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function catalogue(o: CatalogueOptions): RawMessage[] {
  const out: RawMessage[] = [];
  const random = prng(8);
  const text = (label: string, raw: string, fate: Fate, reply?: RawMessage['reply']) =>
    out.push({ label, raw: Buffer.from(raw, 'utf8'), fate, ...(reply ? { reply } : {}) });
  /** A malformed envelope that still names its call id and reply target: its caller is told. */
  const told = (label: string, id: string, raw: string, dead: RegExp, code = 'PROTOCOL') => text(label, raw, { dead }, { callId: id, code });
  const answered = (label: string, id: string, n: number, raw: string, code: 'ok' | 'VALIDATION') =>
    text(label, raw, { answered: code }, { callId: id, code, input: { id, n } });

  for (let c = 0; c < o.copies; c++) {
    const id = (tag: string) => `${tag}-${c}`;
    const env = (tag: string, input?: string) => envelopeText(id(tag), c, o.deadline, input);

    // Not JSON at all, or JSON broken on the way (the first few begin like an envelope, so the
    // take script counts a delivery under their id: it must be cleared all the same).
    text('not-json/text', `not json at all #${c}`, { dead: REASONS.notJson });
    text('not-json/truncated', env('trunc').slice(0, 14 + Math.floor(random() * 120)), { dead: REASONS.notJson });
    text('not-json/trailing-comma', `${env('comma').slice(0, -1)},}`, { dead: REASONS.notJson });
    text('not-json/single-quotes', env('quote').replaceAll('"', "'"), { dead: REASONS.notJson });
    text('not-json/NaN', withValue(env('nan'), 'deadline', 'NaN'), { dead: REASONS.notJson });
    text('not-json/two-texts', `${env('two')}${env('two-b')}`, { dead: REASONS.notJson });
    text('not-json/bom', `\ufeff${env('bom')}`, { dead: REASONS.notJson });
    const bytes = Buffer.alloc(24 + Math.floor(random() * 64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    bytes[0] = 0xff; // never valid UTF-8, never JSON
    bytes.writeUInt32BE(c, 1);
    out.push({ label: 'not-json/binary', raw: bytes, fate: { dead: REASONS.notJson } });

    // JSON, but not an envelope: other values, wrong types, missing fields.
    text('not-envelope/array', `[${c},"v",1]`, { dead: REASONS.badEnvelope });
    text('not-envelope/number', `${c}`, { dead: REASONS.badEnvelope });
    text('not-envelope/string', `"envelope ${c}"`, { dead: REASONS.badEnvelope });
    text('not-envelope/empty-object', `{"n":${c}}`, { dead: REASONS.badEnvelope });
    told('not-envelope/v-string', id('vstr'), withValue(env('vstr'), 'v', '"1"'), REASONS.badEnvelope);
    told('not-envelope/v-2', id('v2'), withValue(env('v2'), 'v', '2'), REASONS.badEnvelope);
    text('not-envelope/id-number', withValue(env('idnum'), 'id', `${1e6 + c}`), { dead: REASONS.badEnvelope });
    text('not-envelope/id-too-long', env(`long-${'x'.repeat(130)}`), { dead: REASONS.badEnvelope });
    text('not-envelope/id-escaped-quote', withValue(env('idq'), 'id', `"idq\\"${c}"`), { dead: REASONS.badEnvelope });
    told('not-envelope/task-number', id('tnum'), withValue(env('tnum'), 'task', '42'), REASONS.badEnvelope);
    told('not-envelope/task-missing', id('tmiss'), without(env('tmiss'), 'task'), REASONS.badEnvelope);
    told('not-envelope/deadline-string', id('dstr'), withValue(env('dstr'), 'deadline', '"soon"'), REASONS.badEnvelope);
    told('not-envelope/deadline-infinite', id('dinf'), withValue(env('dinf'), 'deadline', '1e400'), REASONS.badEnvelope);
    told('not-envelope/attempt-0', id('att0'), withValue(env('att0'), 'attempt', '0'), REASONS.badEnvelope);
    told('not-envelope/attempt-fraction', id('attf'), withValue(env('attf'), 'attempt', '1.5'), REASONS.badEnvelope);
    text('not-envelope/reply-mode', withValue(env('rmode'), 'reply', `{"mode":"carrier-pigeon","client":"${RAW_CLIENT}"}`), { dead: REASONS.badEnvelope });
    text('not-envelope/reply-client', withValue(env('rcli'), 'reply', '{"mode":"hash","client":"has space"}'), { dead: REASONS.badEnvelope });
    told('not-envelope/headers-number', id('hnum'), withMembers(env('hnum'), '"headers":{"trace":1}'), REASONS.badEnvelope);
    told('not-envelope/retry-attempts', id('retry'), withMembers(env('retry'), '"retry":{"attempts":1000}'), REASONS.badEnvelope);
    told('not-envelope/idem-ttl', id('idem'), withMembers(env('idem'), '"idem":"k","idemTtl":-5'), REASONS.badEnvelope);

    // Valid JSON envelopes not written the way the protocol requires ({"v":1,"id":"<id>" first):
    // the scripts could not count their deliveries nor see their cancellation.
    const reordered = JSON.parse(env('order')) as Record<string, unknown>;
    told('not-envelope/fields-reordered', id('order'), JSON.stringify({ id: reordered['id'], ...reordered }), REASONS.badEnvelope);
    told('not-envelope/spaces', id('space'), JSON.stringify(JSON.parse(env('space')), null, 1), REASONS.badEnvelope);
    told('not-envelope/v-1.0', id('vfloat'), env('vfloat').replace('{"v":1,', '{"v":1.0,'), REASONS.badEnvelope);
    told('not-envelope/id-escaped', id('esc'), env('esc').replace('"id":"esc', '"id":"\\u0065sc'), REASONS.badEnvelope);

    // Prototype keys at several depths, in envelopes broken otherwise.
    text('proto-envelope/all-under-__proto__', `{"__proto__":${env('hid')}}`, { dead: REASONS.badEnvelope });
    told('proto-envelope/__proto__-top', id('ptop'), withMembers(without(env('ptop'), 'task'), `"__proto__":${POLLUTION}`), REASONS.badEnvelope);
    told('proto-envelope/constructor.prototype', id('pctor'), withMembers(without(env('pctor'), 'deadline'), `"constructor":{"prototype":${POLLUTION}}`), REASONS.badEnvelope);
    told('proto-envelope/prototype', id('pproto'), withMembers(withValue(env('pproto'), 'attempt', '-1'), `"prototype":${POLLUTION}`), REASONS.badEnvelope);
    text('proto-envelope/in-reply', withValue(env('preply'), 'reply', `{"__proto__":{"mode":"hash","client":"${RAW_CLIENT}"}}`), { dead: REASONS.badEnvelope });
    told('proto-envelope/in-headers', id('phead'), withMembers(env('phead'), `"headers":{"__proto__":${POLLUTION},"constructor":{"prototype":${POLLUTION}}}`), REASONS.badEnvelope);
    told('proto-envelope/in-retry', id('pretry'), withMembers(env('pretry'), `"retry":{"__proto__":{"attempts":3}}`), REASONS.badEnvelope);
    told('proto-envelope/in-task', id('ptask'), withValue(env('ptask'), 'task', '{"__proto__":"work"}'), REASONS.badEnvelope);
    told('proto-envelope/depth-4', id('pdeep'), withValue(env('pdeep'), 'deadline', `{"a":{"b":{"__proto__":{"constructor":{"prototype":${POLLUTION}}}}}}`), REASONS.badEnvelope);

    // Readable envelopes naming tasks the worker does not have, prototype names among them.
    for (const task of ['nope', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'work.__proto__', 'constructor.prototype', '__proto__.polluted']) {
      const tid = id(`task-${task}`);
      told(`unknown-task/${task}`, tid, withValue(envelopeText(tid, c, o.deadline), 'task', JSON.stringify(task)), REASONS.unknownTask, 'UNKNOWN_TASK');
    }

    // Envelopes whose input the serializer refuses.
    const json = (tag: string) => `{"id":"${id(tag)}","n":${c},"ms":0}`;
    const input = (label: string, tag: string, value: string) => told(`unreadable-input/${label}`, id(tag), env(tag, value), REASONS.unreadableInput);
    input('not-superjson', 'inplain', json('inplain'));
    input('null', 'innull', 'null');
    input('string', 'instr', '"x"');
    input('meta-__proto__', 'mproto', `{"json":${json('mproto')},"meta":{"values":{"__proto__.polluted":["undefined"]}}}`);
    // A __proto__ key (not a path naming one): refused before the serializer sees it.
    told('unreadable-input/meta-nested-__proto__', id('mproto2'), env('mproto2', `{"json":${json('mproto2')},"meta":{"values":{"id":{"__proto__":{"polluted":["undefined"]}}}}}`), REASONS.protoKey);
    input('meta-constructor.prototype', 'mctor', `{"json":${json('mctor')},"meta":{"values":{"constructor.prototype.polluted":["undefined"]}}}`);
    input('meta-prototype', 'mprot', `{"json":${json('mprot')},"meta":{"values":{"n.prototype":["undefined"]}}}`);
    input('meta-referential-__proto__', 'mref', `{"json":${json('mref')},"meta":{"referentialEqualities":{"id":["__proto__.polluted"]}}}`);
    input('meta-unknown-transform', 'mbogus', `{"json":${json('mbogus')},"meta":{"values":{"n":["bogus"]}}}`);
    input('meta-unknown-class', 'mclass', `{"json":${json('mclass')},"meta":{"values":{"n":[["class","Evil"]]}}}`);

    // A key named __proto__ anywhere, however readable the rest: refused whole (a handler copying
    // it with assignment semantics would replace a prototype), its caller told (src/wire/proto-keys.ts).
    told('hostile/__proto__-top', id('htop'), withMembers(env('htop'), `"__proto__":${POLLUTION}`), REASONS.protoKey);
    told('hostile/headers-__proto__', id('hhead'), withMembers(env('hhead'), '"headers":{"__proto__":"x","constructor":"y","toString":"z"}'), REASONS.protoKey);
    told('hostile/reply-__proto__', id('hreply'), withValue(env('hreply'), 'reply', `{"mode":"hash","client":"${RAW_CLIENT}","__proto__":${POLLUTION}}`), REASONS.protoKey);
    told('hostile/input.json-__proto__', id('hin'), env('hin', `{"json":{"id":"${id('hin')}","n":${c},"ms":0,"__proto__":${POLLUTION}}}`), REASONS.protoKey);
    told('hostile/input.json-depth-3', id('hin3'), env('hin3', `{"json":{"id":"${id('hin3')}","n":${c},"ms":0,"x":{"y":{"__proto__":${POLLUTION}}}}}`), REASONS.protoKey);
    told('hostile/input.json-escaped-__proto__', id('hesc'), env('hesc', `{"json":{"id":"${id('hesc')}","n":${c},"ms":0,"\\u005f_proto__":${POLLUTION}}}`), REASONS.protoKey);
    told('hostile/input.json-under-__proto__', id('vproto'), env('vproto', `{"json":{"__proto__":${json('vproto')}}}`), REASONS.protoKey);
    // Hostile but readable: other prototype names are data to the decoders; answered like any call.
    answered('hostile/constructor.prototype-top', id('hctor'), c, withMembers(env('hctor'), `"constructor":{"prototype":${POLLUTION}},"prototype":${POLLUTION}`), 'ok');
    answered('hostile/input.json-constructor', id('hin2'), c, env('hin2', `{"json":{"id":"${id('hin2')}","n":${c},"ms":0,"constructor":{"prototype":${POLLUTION}}}}`), 'ok');
    answered('hostile/input.json-string-__proto__', id('hstr'), c, env('hstr', `{"json":{"id":"${id('hstr')}","n":${c},"ms":0,"note":"__proto__"}}`), 'ok');
    // Inputs that decode but break the schema: the caller's mistake, answered, not set aside.
    answered('validation/n-string', id('vnum'), c, env('vnum', `{"json":{"id":"${id('vnum')}","n":"${c}","ms":0}}`), 'VALIDATION');
  }

  // Huge nesting, a few of each: as the whole message, inside an envelope field, inside the
  // input (readable: the serializer copies it without recursion, the schema drops it) and
  // inside the superjson meta tree (which the serializer walks recursively: stack overflow).
  for (let c = 0; c < 4; c++) {
    const id = (tag: string) => `${tag}-deep-${c}`;
    const json = (tag: string) => `{"id":"${id(tag)}","n":${c},"ms":0}`;
    text('deep/arrays', `[${c},${nestedArrays(o.depth)}]`, { dead: REASONS.badEnvelope });
    text('deep/objects', `{"n":${c},"a":${nestedObjects(o.depth)}}`, { dead: REASONS.badEnvelope });
    told('deep/in-task', id('task'), withValue(envelopeText(id('task'), c, o.deadline), 'task', nestedArrays(o.depth, '"work"')), REASONS.badEnvelope);
    told('deep/in-meta-arrays', id('marr'), envelopeText(id('marr'), c, o.deadline, `{"json":${json('marr')},"meta":{"values":{"n":${nestedArrays(o.depth, '"undefined"')}}}}`), REASONS.unreadableInput);
    told('deep/in-meta-objects', id('mobj'), envelopeText(id('mobj'), c, o.deadline, `{"json":${json('mobj')},"meta":{"values":${nestedObjects(o.depth, '["undefined"]')}}}`), REASONS.unreadableInput);
    answered('deep/in-input.json', id('in'), c, envelopeText(id('in'), c, o.deadline, `{"json":{"id":"${id('in')}","n":${c},"ms":0,"x":${nestedArrays(o.depth)}}}`), 'ok');
    answered('deep/in-input.json-field', id('inn'), c, envelopeText(id('inn'), c, o.deadline, `{"json":{"id":"${id('inn')}","n":${nestedArrays(o.depth)},"ms":0}}`), 'VALIDATION');
  }

  // Size: just over the limit, far over it, over it in bytes but not in characters; and a call
  // of exactly the limit, which must still run.
  const padded = (tag: string, bytes: number, char = 'x') => {
    const id = `size-${tag}`;
    const base = envelopeText(id, 7, o.deadline);
    const pad = bytes - Buffer.byteLength(base) - ',"pad":""'.length;
    return { id, raw: withMembers(base, `"pad":"${char.repeat(Math.floor(pad / Buffer.byteLength(char)))}"`) };
  };
  for (const [tag, bytes, char] of [['limit+1', o.maxPayloadBytes + 1, 'x'], ['2x', 2 * o.maxPayloadBytes, 'x'], ['4x', 4 * o.maxPayloadBytes, 'x'], ['utf8', o.maxPayloadBytes + 2, 'é']] as const) {
    const m = padded(tag, bytes, char);
    if (Buffer.byteLength(m.raw) <= o.maxPayloadBytes || (char === 'é' && m.raw.length > o.maxPayloadBytes)) throw new Error(`raw-messages: ${tag} is not over the limit as meant`);
    text(`oversized/${tag}`, m.raw, { dead: REASONS.tooLarge });
  }
  const exact = padded('exact', o.maxPayloadBytes);
  if (Buffer.byteLength(exact.raw) !== o.maxPayloadBytes) throw new Error('raw-messages: the exact-size call is not exactly the limit');
  answered('size/exactly-the-limit', exact.id, 7, exact.raw, 'ok');
  const ids = out.flatMap((m) => (m.reply ? [m.reply.callId] : []));
  if (new Set(ids).size !== ids.length) throw new Error('raw-messages: two messages share a call id');
  return out;
}

/** Key for finding a pushed message again among dead-letter envelopes read as Buffers. */
export function rawKey(raw: Buffer): string {
  return raw.toString('latin1');
}
