import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { router, task, type Handlers } from '../../src/index.js';

/** Tasks that schedules fire, shared by the schedule tests and their worker processes. */
export const scheduleContract = router({
  reports: router({
    daily: task({ input: z.object({ day: z.string(), n: z.number().int().positive() }), output: z.number(), queue: 'sched', timeoutMs: 5_000 }),
  }),
  beat: task({ input: z.object({ tag: z.string() }), output: z.string(), queue: 'sched' }),
  elsewhere: task({ input: z.object({ tag: z.string() }), output: z.string(), queue: 'sched2' }),
});

/** One call a schedule fired, as its handler saw it. */
export interface Fired {
  callId: string;
  /** The schedule id and tick its call id names (sched.<id>.<tick base 36>). */
  schedule: string;
  tick: number;
  tag: string;
  at: number;
  pid: number;
  headers: Record<string, string>;
  /** More than 1 when the call was handed to a worker again (its first worker died holding it). */
  deliveries: number;
}

export function parseCallId(callId: string): { schedule: string; tick: number } {
  const m = /^sched\.(.+)\.([0-9a-z]+)$/.exec(callId);
  return { schedule: m?.[1] ?? '', tick: m?.[2] === undefined ? Number.NaN : Number.parseInt(m[2], 36) };
}

/** Handlers that report each call to `sink` (in-process) or append it as a JSON line to a file (processes). */
export function scheduleHandlers(sink: ((f: Fired) => void) | string): Handlers<typeof scheduleContract> {
  const record = (tag: string, ctx: { callId: string; headers: Readonly<Record<string, string>>; deliveries: number }) => {
    const f: Fired = { callId: ctx.callId, ...parseCallId(ctx.callId), tag, at: Date.now(), pid: process.pid, headers: { ...ctx.headers }, deliveries: ctx.deliveries };
    if (typeof sink === 'string') appendFileSync(sink, `${JSON.stringify(f)}\n`);
    else sink(f);
  };
  return {
    reports: {
      daily: ({ day, n }, ctx) => {
        record(`${day}:${n}`, ctx);
        return n;
      },
    },
    beat: ({ tag }, ctx) => {
      record(tag, ctx);
      return tag;
    },
    elsewhere: ({ tag }, ctx) => {
      record(tag, ctx);
      return tag;
    },
  };
}

/**
 * Ticks fired per schedule, sorted, and the ticks fired more than once: run twice as a first
 * delivery, so two calls were pushed (a call run again because its worker died holding it is
 * one call delivered twice, not a second fire).
 */
export function ticksOf(fired: readonly Fired[], schedule: string): { ticks: number[]; duplicates: number[] } {
  const ticks = fired.filter((f) => f.schedule === schedule).map((f) => f.tick).sort((a, b) => a - b);
  const firsts = fired.filter((f) => f.schedule === schedule && f.deliveries === 1).map((f) => f.tick).sort((a, b) => a - b);
  return { ticks: [...new Set(ticks)], duplicates: firsts.filter((t, i) => i > 0 && firsts[i - 1] === t) };
}

/** Gaps between consecutive ticks that are not `step`. */
export function gapsIn(ticks: readonly number[], step: number): Array<[number, number]> {
  const gaps: Array<[number, number]> = [];
  for (let i = 1; i < ticks.length; i++) {
    const a = ticks[i - 1] ?? 0;
    const b = ticks[i] ?? 0;
    if (b - a !== step) gaps.push([a, b]);
  }
  return gaps;
}
