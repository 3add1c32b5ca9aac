import { describe, expect, it } from 'vitest';
import { age, clip, rate, table, time } from '../../src/cli/format.js';

describe('terminal formatting', () => {
  it('ages read at a glance: ms, tenths of seconds, minutes, hours, days', () => {
    expect([age(850), age(12_340), age(245_000), age(7_620_000), age(273_600_000), age(Number.POSITIVE_INFINITY)]).toEqual(['850ms', '12.3s', '4m05s', '2h07m', '3d04h', '-']);
  });

  it('tables pad columns, right-align numbers and leave no trailing spaces', () => {
    expect(table([{ title: 'QUEUE' }, { title: 'N', right: true }, { title: 'NOTE' }], [['images', '12', ''], ['a', '3', 'x']])).toBe('QUEUE    N  NOTE\nimages  12\na        3  x\n');
  });

  it('times are UTC to the second; rates have at most two decimals; clips stay on one line', () => {
    expect(time(Date.UTC(2026, 4, 1, 12, 0, 1, 999))).toBe('2026-05-01 12:00:01Z');
    expect([rate(0), rate(0.0167), rate(31.5)]).toEqual(['0', '0.02', '31.5']);
    expect(clip('a\n  b', 10)).toBe('a b');
    expect(clip('abcdefghijk', 5)).toBe('abcd…');
  });
});
