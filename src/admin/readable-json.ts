/** A JSON value: what `--json`, the dashboard's API and the `--where` filters show and match. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A deserialized value (a call's input, a result, an error's data) as plain JSON for people:
 * Dates as ISO text, Sets as arrays, Maps as objects (entries when a key is not a string),
 * bigints as decimal text, undefined left out, NaN and the infinities as text. superjson's own
 * `json` part is close, but it writes a Map as entries always and needs its `meta` to tell a
 * Date from a string; this reads the same in a terminal and in the browser.
 */
export function readableJson(value: unknown, seen: Set<object> = new Set()): Json | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[circular]';
  seen.add(obj);
  try {
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return String(obj);
    if (obj instanceof Error) return { name: obj.name, message: obj.message };
    if (obj instanceof Set) return [...obj].map((v) => readableJson(v, seen) ?? null);
    if (obj instanceof Map) {
      const entries = [...obj.entries()];
      if (entries.every(([k]) => typeof k === 'string')) {
        const out: { [key: string]: Json } = {};
        for (const [k, v] of entries) {
          const j = readableJson(v, seen);
          if (j !== undefined) out[k as string] = j;
        }
        return out;
      }
      return entries.map(([k, v]) => [readableJson(k, seen) ?? null, readableJson(v, seen) ?? null]);
    }
    if (Array.isArray(obj)) return obj.map((v: unknown) => readableJson(v, seen) ?? null);
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(obj)) {
      const j = readableJson(v, seen);
      if (j !== undefined) out[k] = j;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
