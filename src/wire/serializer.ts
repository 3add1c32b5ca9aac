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

/** superjson: Date, Map, Set, BigInt, undefined, RegExp round-trip. */
export const superjsonSerializer: Serializer = {
  serialize: (value) => superjson.serialize(value),
  deserialize: (payload) => {
    if (!isPayload(payload)) throw new TypeError('payload is not a superjson value ({ json, meta? })');
    return superjson.deserialize(payload);
  },
};
