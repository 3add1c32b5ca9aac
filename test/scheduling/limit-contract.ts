import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { router, task, type Handlers } from '../../src/index.js';

/** Tasks with limits, shared by the limit tests and their worker processes. */
export const limitContract = router({
  // At most 5 starts in any 500 ms, over all workers.
  limited: task({ input: z.object({ i: z.number() }), output: z.number(), queue: 'lim', rateLimit: { max: 5, perMs: 500 } }),
  // At most 2 running at once, over all workers.
  narrow: task({ input: z.object({ i: z.number(), ms: z.number() }), output: z.number(), queue: 'lim', concurrency: 2 }),
  // No limit, same queue.
  free: task({ input: z.object({ i: z.number(), ms: z.number() }), output: z.number(), queue: 'lim' }),
  // Calls of a fair group (worker option groups).
  grouped: task({ input: z.object({ i: z.number(), ms: z.number() }), output: z.number(), queue: 'lim' }),
});

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Handlers that append `start <task> <i> <ms since epoch>` and `end ...` lines to `log`. */
export function limitHandlers(log: string): Handlers<typeof limitContract> {
  const line = (what: string, taskName: string, i: number) => appendFileSync(log, `${what} ${taskName} ${i} ${Date.now()} ${process.pid}\n`);
  const run = (name: string) => async ({ i, ms }: { i: number; ms?: number }, ctx: { signal: AbortSignal }) => {
    line('start', name, i);
    if (ms) await sleep(ms, ctx.signal);
    line('end', name, i);
    return i;
  };
  return { limited: run('limited'), narrow: run('narrow'), free: run('free'), grouped: run('grouped') };
}

export interface LogLine {
  what: 'start' | 'end';
  task: string;
  i: number;
  at: number;
  pid: number;
}

export function parseLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [what, taskName, i, at, pid] = l.split(' ');
      return { what: what as 'start' | 'end', task: taskName ?? '', i: Number(i), at: Number(at), pid: Number(pid) };
    });
}

/** The most `task` calls running at once, from start/end lines. */
export function maxRunning(lines: readonly LogLine[], taskName: string): number {
  let running = 0;
  let most = 0;
  for (const l of [...lines].filter((x) => x.task === taskName).sort((a, b) => a.at - b.at || (a.what === 'end' ? -1 : 1))) {
    running += l.what === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}
