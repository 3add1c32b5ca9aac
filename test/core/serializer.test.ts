import superjson from 'superjson';
import { expect, it } from 'vitest';
import { superjsonSerializer } from '../../src/wire/serializer.js';

/**
 * The serializer skips superjson for plain JSON values (issue 5's profiles). Its promise: the
 * very output superjson would give, for every value, flat or nested, so the wire format and the
 * round trip are unchanged.
 */
class Point {
  constructor(readonly x: number) {}
}
const shared = { s: 1 };
const cyclic: Record<string, unknown> = { a: 1 };
cyclic['self'] = cyclic;
const values: unknown[] = [
  'text', 1, 0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, true, null, undefined, 10n,
  {}, [], { a: 1, b: 'x', c: null, d: true }, [1, 'a', null], { a: undefined }, [undefined], [1, , 3],
  { d: new Date(0) }, { n: -0 }, { big: 1n }, { nested: { deep: [{ x: 1 }] } }, { m: new Map([['k', 1]]) },
  { set: new Set([1]) }, { a: shared, b: shared }, [shared, shared], { p: new Point(1) }, new Point(2),
  Object.create(null) as object, { arr: [[1, 2], [3]] }, { r: /x/g }, cyclic, { s: 'x'.repeat(1000), n: 5 },
];

it('serializes exactly as superjson does, and round-trips', () => {
  for (const value of values) {
    let want: unknown;
    try {
      want = superjson.serialize(value);
    } catch (err) {
      expect(() => superjsonSerializer.serialize(value)).toThrow();
      continue;
    }
    const got = superjsonSerializer.serialize(value);
    expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    expect(superjsonSerializer.deserialize(JSON.parse(JSON.stringify(got)))).toEqual(superjson.deserialize(JSON.parse(JSON.stringify(want))));
  }
});
