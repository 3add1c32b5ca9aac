import { Command } from 'commander';
import { queueNameProblem } from '../../contract/names.js';
import type { RouterShape } from '../../contract/router.js';
import type { Handlers, Worker } from '../../worker/types.js';
import type { CliIo } from '../cli-io.js';
import { CliError, usageError } from '../cli-error.js';
import { exportOf, importModule } from '../load-module.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface WorkerFlags extends RedisFlags {
  concurrency?: string;
  queue?: string[];
  drain: string;
}

/** How long start() may take: it needs Redis for its heartbeat and subscription. */
const START_TIMEOUT_MS = 10_000;

function isWorker(value: unknown): value is Worker {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Record<string, unknown>;
  return typeof w['start'] === 'function' && typeof w['close'] === 'function' && typeof w['id'] === 'string';
}

function whole(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usageError(`bad ${flag} ${JSON.stringify(text)}: a whole number ≥ 1`);
  return n;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

export function workerCommand(io: CliIo): Command {
  return redisOptions(
    new Command('worker')
      .summary('run a worker from a module that exports a contract and handlers (or a worker)')
      .description(
        'Runs <module>: either it exports `contract` (a router) and `handlers`, and this command builds the\n' +
          'worker with --redis, --prefix, --concurrency and --queue; or it exports `worker`, made with\n' +
          "createWorker() and not started, which runs as it is. SIGTERM or SIGINT drains (up to --drain ms)\n" +
          'and exits 0; a second signal exits at once.',
      )
      .argument('<module>', 'a .js/.mjs module, or .ts/.mts (needs ts-morph)')
      .option('--concurrency <n>', 'handlers running at once (default 16)')
      .option('-q, --queue <name...>', 'serve only these queues (default: every queue the contract names)')
      .option('--drain <ms>', 'how long running calls may finish on shutdown', '10000'),
  ).action(async (file: string, flags: WorkerFlags) => {
    const concurrency = flags.concurrency === undefined ? undefined : whole(flags.concurrency, '--concurrency');
    const drainTimeoutMs = whole(flags.drain, '--drain');
    for (const q of flags.queue ?? []) {
      const problem = queueNameProblem(q);
      if (problem !== undefined) throw usageError(`bad queue name ${JSON.stringify(q)}: ${problem}`);
    }
    const target = redisTarget(flags, io);
    const { isRouter } = await import('../../contract/router.js');
    const mod = await importModule(file, io.cwd);

    let worker: Worker;
    let where: string;
    if ('worker' in mod) {
      const w = mod['worker'];
      if (!isWorker(w)) throw new CliError(`${file}: the export "worker" is not a taskwire worker (createWorker(...))`);
      if (concurrency !== undefined || flags.queue || flags.redis !== undefined || flags.sentinels !== undefined || flags.prefix !== undefined) {
        throw usageError(`${file} exports a ready-made worker: its own options apply, so --concurrency, --queue, --redis and --prefix cannot`);
      }
      worker = w;
      where = 'its own options';
    } else {
      const contract = exportOf(mod, 'contract', file);
      if (!isRouter(contract)) throw new CliError(`${file}: the export "contract" is not a taskwire router() contract`);
      const handlers = exportOf(mod, 'handlers', file);
      if (typeof handlers !== 'object' || handlers === null) throw new CliError(`${file}: the export "handlers" is not an object of handlers`);
      const [{ probe, workerSource }, { createWorker }] = await Promise.all([import('../redis-connect.js'), import('../../worker/create-worker.js')]);
      await probe(target);
      try {
        worker = createWorker(contract as RouterShape, handlers as Handlers<RouterShape>, {
          redis: workerSource(target),
          prefix: target.prefix,
          ...(concurrency === undefined ? {} : { concurrency }),
          ...(flags.queue ? { queues: flags.queue } : {}),
          ...(target.signing ? { signing: target.signing } : {}),
        });
      } catch (err) {
        throw new CliError(`${file}: ${oneLine(err)}`);
      }
      where = `${target.shown} (prefix ${target.prefix})`;
    }

    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        worker.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CliError(`the worker did not start within ${START_TIMEOUT_MS / 1000} s: is Redis reachable?`)), START_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      await worker.close({ drainTimeoutMs: 0 }).catch(() => undefined);
      throw err instanceof CliError ? err : new CliError(`the worker failed to start: ${oneLine(err)}`);
    } finally {
      clearTimeout(timer);
    }
    io.stderr(`taskwire worker ${worker.id} serving ${file} at ${where}; SIGTERM or Ctrl-C drains and exits\n`);
    const signal = await io.stopped();
    io.stderr(`taskwire worker: ${signal}, draining (up to ${drainTimeoutMs} ms)\n`);
    await worker.close({ drainTimeoutMs });
    io.stderr(`taskwire worker: closed after ${worker.stats.succeeded + worker.stats.failed} calls\n`);
  });
}
