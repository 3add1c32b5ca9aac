import { describe, expect, it } from 'vitest';
import { isTaskwireError } from '../../src/errors.js';
import { matchesFilter, parseInputCondition, parseSince, type Filterable } from '../../src/admin/dead-letter-filter.js';
import { readableJson } from '../../src/admin/readable-json.js';

const letter = (input: unknown, over: Partial<Filterable> = {}): Filterable => ({ reason: 'ATTEMPTS_EXHAUSTED', task: 'users.sync', at: 1_000, input, inputProblem: undefined, ...over });

describe('dead letter filters', () => {
  it('match a field of the decoded input: equal by its text, or containing a text ignoring case', () => {
    const d = letter({ user: { id: 42, email: 'Ada@Example.com', tags: ['a', 'b'] }, when: new Date(Date.UTC(2026, 0, 2)), ok: true });
    const where = (...c: string[]) => matchesFilter(d, { where: c.map(parseInputCondition) });
    expect(where('user.id=42')).toBe(true);
    expect(where('user.id=4')).toBe(false);
    expect(where('user.email~example.COM')).toBe(true);
    expect(where('user.tags.1=b')).toBe(true);
    expect(where('when=2026-01-02T00:00:00.000Z')).toBe(true);
    expect(where('ok=true')).toBe(true);
    expect(where('user.missing=1')).toBe(false);
    expect(where('user.id=42', 'user.email~nobody')).toBe(false);
    expect(matchesFilter(letter(undefined, { inputProblem: 'gone' }), { where: [parseInputCondition('a=1')] })).toBe(false);
  });

  it('match task, reason and time, all of them', () => {
    const d = letter({}, { at: 5_000 });
    expect(matchesFilter(d, { task: 'users.sync', reason: 'ATTEMPTS_EXHAUSTED', since: 5_000 })).toBe(true);
    expect(matchesFilter(d, { since: 5_001 })).toBe(false);
    expect(matchesFilter(d, { task: 'users.find' })).toBe(false);
    expect(matchesFilter(d, { reason: 'PROTOCOL' })).toBe(false);
  });

  it('read times as durations ago or dates; refuse anything else with VALIDATION', () => {
    expect(parseSince('15m', 1_000_000)).toBe(100_000);
    expect(parseSince('2h', 10_000_000)).toBe(2_800_000);
    expect(parseSince('2026-05-01', 0)).toBe(Date.UTC(2026, 4, 1));
    for (const bad of ['yesterday', '15', '10y']) {
      let err: unknown;
      try {
        parseSince(bad, 0);
      } catch (e) {
        err = e;
      }
      expect(isTaskwireError(err) && err.code === 'VALIDATION').toBe(true);
    }
    expect(() => parseInputCondition('user.id')).toThrow('write field=value or field~text');
    expect(() => parseInputCondition('=1')).toThrow();
  });
});

describe('readable JSON', () => {
  it('shows Dates, Sets, Maps, bigints and non-finite numbers as a person reads them, and survives cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(
      readableJson({
        when: new Date(Date.UTC(2026, 0, 2)),
        tags: new Set(['a']),
        byName: new Map([['x', 1n]]),
        byId: new Map([[1, 'one']]),
        nan: Number.NaN,
        gone: undefined,
        cyclic,
      }),
    ).toEqual({ when: '2026-01-02T00:00:00.000Z', tags: ['a'], byName: { x: '1' }, byId: [[1, 'one']], nan: 'NaN', cyclic: { a: 1, self: '[circular]' } });
  });
});
