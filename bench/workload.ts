import { z } from 'zod';
import { router, task } from '../src/contract/index.js';

/**
 * The one job every system does: take `{ data, spin }`, burn `spin` rounds of CPU, answer
 * `{ n: data.length, h }`. Same input, same work, same output size for taskwire, BullMQ and
 * the hand-written ceiling; only the transport differs.
 */
export interface WorkInput {
  data: string;
  spin: number;
}

export interface WorkOutput {
  n: number;
  h: number;
}

export const QUEUE = 'bench';

export const benchContract = router({
  work: task({
    input: z.object({ data: z.string(), spin: z.number().int().min(0) }),
    output: z.object({ n: z.number().int(), h: z.number().int() }),
    queue: QUEUE,
  }),
});

/** FNV-style mixing rounds: real CPU work the JIT cannot drop, because the result is returned. */
export function spin(rounds: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < rounds; i++) h = Math.imul(h ^ i, 0x01000193) >>> 0;
  return h;
}

let handled = 0;

/** Calls this process has handled: the bench reads it to see how work spread over worker processes. */
export function handledCount(): number {
  return handled;
}

export function work(input: WorkInput): WorkOutput {
  handled++;
  return { n: input.data.length, h: input.spin > 0 ? spin(input.spin) : 0 };
}

/** A printable ASCII string of exactly `bytes` bytes (no JSON escaping, so sizes stay exact). */
export function payload(bytes: number): string {
  const unit = 'taskwire-bench-0123456789-abcdefghijklmnopqrstuvwxyz-';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** Rounds of `spin` that take about `ms` on this machine, measured once so every system gets the same. */
export function calibrateSpin(ms: number): number {
  spin(2_000_000); // warm the JIT
  let rounds = 100_000;
  for (;;) {
    const t0 = performance.now();
    spin(rounds);
    const took = performance.now() - t0;
    if (took > 20) return Math.max(1, Math.round((rounds * ms) / took));
    rounds *= 4;
  }
}
