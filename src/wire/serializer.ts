import superjson from 'superjson';

/**
 * How values cross the wire. A two-method interface so superjson is the default, not a
 * hard-wired choice; both ends of a queue must agree on it.
 * `serialize` returns a JSON-safe value that is embedded in the envelope as it is.
 */
export interface Serializer {
  serialize(value: unknown): unknown;
  deserialize(payload: unknown): unknown;
}

interface SuperJsonPayload {
  json: Parameters<typeof superjson.deserialize>[0]['json'];
  meta?: Parameters<typeof superjson.deserialize>[0]['meta'];
}

function isPayload(value: unknown): value is SuperJsonPayload {
  return typeof value === 'object' && value !== null && 'json' in value;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * True when superjson would add no `meta` for this value: only strings, booleans, null, finite
 * numbers other than -0, arrays and plain objects, each object met once (superjson records
 * repeated references so identity survives; those take the slow path). Keys superjson rejects
 * as prototype pollution also take the slow path, so it can throw as before.
 * `seen` is made only when an object holds another object: a flat value (the common small
 * payload) is checked without allocating one.
 */
function isPlainJson(value: unknown, seen: Set<object> | undefined): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen?.has(value)) return false;
      seen?.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (typeof v === 'object' && v !== null) seen ??= new Set([value]);
          if (!(i in value) || !isPlainJson(v, seen)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        const v: unknown = (value as Record<string, unknown>)[key];
        if (typeof v === 'object' && v !== null) seen ??= new Set([value]);
        if (FORBIDDEN_KEYS.has(key) || !isPlainJson(v, seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * superjson: Date, Map, Set, BigInt, undefined, RegExp round-trip. Plain JSON values skip
 * superjson's walk and copy (the largest share of serializer time in profiles), producing the
 * very `{ json }` superjson would, so the wire format is unchanged.
 */
export const superjsonSerializer: Serializer = {
  serialize: (value) => (isPlainJson(value, undefined) ? { json: value } : superjson.serialize(value)),
  deserialize: (payload) => {
    if (!isPayload(payload)) throw new TypeError('payload is not a superjson value ({ json, meta? })');
    // Without meta superjson would only deep-copy `json`; it was just parsed, nothing else holds it.
    return payload.meta === undefined ? payload.json : superjson.deserialize(payload);
  },
};
