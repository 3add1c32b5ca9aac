import { Command } from 'commander';
import type { Admin } from '../../admin/create-admin.js';
import type { Overview } from '../../admin/overview.js';
import { queueNameProblem } from '../../contract/names.js';
import type { CliIo } from '../cli-io.js';
import { usageError } from '../cli-error.js';
import { clip } from '../format.js';
import { redisOptions, redisTarget, type RedisFlags, type RedisTarget } from '../redis-flags.js';
import { renderOverview } from '../render-overview.js';

interface InspectFlags extends RedisFlags {
  watch?: boolean;
  json?: boolean;
  interval: string;
  queue?: string[];
}

/** Queues are found by SCAN; while watching, look again this often rather than on every frame. */
const REDISCOVER_MS = 10_000;

/** Indented JSON with arrays of numbers (the per-second throughput) kept on one line each. */
function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s*(-?\d[\d.e+-]*(?:,\s*-?\d[\d.e+-]*)*)\s*\]/g, (_, list: string) => `[${list.split(/,\s*/).join(',')}]`);
}

function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600) throw usageError(`bad --interval ${JSON.stringify(text)}: seconds between 0.1 and 3600`);
  return n * 1000;
}

/** Reads overviews of the named queues, or of every queue under the prefix (found again now and then). */
function reader(admin: Admin, named: readonly string[] | undefined): () => Promise<Overview> {
  let queues: string[] | undefined;
  let found = 0;
  return async () => {
    if (named) return admin.overview({ queues: named });
    if (queues === undefined || Date.now() - found > REDISCOVER_MS) {
      queues = await admin.queues();
      found = Date.now();
    }
    return admin.overview({ queues });
  };
}

async function watch(io: CliIo, read: () => Promise<Overview>, target: RedisTarget, flags: InspectFlags): Promise<void> {
  const every = seconds(flags.interval);
  const inPlace = io.tty.stdout && !flags.json;
  let stop = false;
  const stopped = io.stopped().then(() => {
    stop = true;
  });
  let first = true;
  while (!stop) {
    let frame: string;
    try {
      const o = await read();
      frame = flags.json ? `${JSON.stringify(o)}\n` : renderOverview(o, target.shown);
    } catch (err) {
      // Keep watching: Redis may come back, and the person sees why the figures stopped.
      const why = clip(err instanceof Error ? err.message : String(err), 200);
      frame = flags.json ? `${JSON.stringify({ error: why })}\n` : `prefix ${target.prefix} at ${target.shown}\n\ncannot read: ${why}\n`;
    }
    if (inPlace) {
      // Home, then each line clears its own rest and the screen below the frame is cleared: no flicker.
      const body = frame.replace(/\n/g, '\x1b[K\n');
      io.stdout(`${first ? '\x1b[2J' : ''}\x1b[H${body}\x1b[J`);
    } else {
      io.stdout(first || flags.json ? frame : `\n${frame}`);
    }
    first = false;
    await Promise.race([new Promise((r) => setTimeout(r, every).unref()), stopped]);
  }
}

export function inspectCommand(io: CliIo): Command {
  return redisOptions(
    new Command('inspect')
      .summary('queues, calls and live workers at a glance')
      .description(
        'Per queue: waiting, running, delayed (retries in backoff), dead-lettered, live workers, calls\n' +
          'settled per second over the last minute and the age of the oldest waiting call. Per live\n' +
          'worker: host, pid, version, running/concurrency, queues, heartbeat age.',
      )
      .option('--watch', 'redraw every --interval seconds (in place on a terminal) until Ctrl-C')
      .option('--interval <seconds>', 'seconds between redraws with --watch', '2')
      .option('--json', 'print the overview as JSON (with --watch: one line per redraw)')
      .option('-q, --queue <name...>', 'only these queues (default: every queue under the prefix)'),
  ).action(async (flags: InspectFlags) => {
    const target = redisTarget(flags, io);
    for (const q of flags.queue ?? []) {
      const problem = queueNameProblem(q);
      if (problem !== undefined) throw usageError(`bad queue name ${JSON.stringify(q)}: ${problem}`);
    }
    if (flags.watch) seconds(flags.interval);
    const { knownQueue, noQueues, openAdmin } = await import('../redis-connect.js');
    const admin = await openAdmin(target);
    try {
      for (const q of flags.queue ?? []) await knownQueue(admin, target, q);
      const read = reader(admin, flags.queue);
      if (flags.watch) return await watch(io, read, target, flags);
      const o = await read();
      if (o.queues.length === 0) throw noQueues(target);
      io.stdout(flags.json ? `${prettyJson(o)}\n` : renderOverview(o, target.shown));
    } finally {
      await admin.close();
    }
  });
}
