import { Command } from 'commander';
import { readableJson } from '../../admin/readable-json.js';
import { toTaskwireError } from '../../errors.js';
import type { CliIo } from '../cli-io.js';
import { CliError, usageError } from '../cli-error.js';
import { exportOf, importModule } from '../load-module.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface CallFlags extends RedisFlags {
  contract: string;
  export: string;
  timeout?: string;
}

type CallFn = (input: unknown, options?: { timeoutMs?: number }) => Promise<unknown>;

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw usageError(`the input is not JSON: ${(err as Error).message} (quote it for the shell: '{"a":1}')`);
  }
}

/** The stub at a dotted path of a route client. */
function stubAt(tree: unknown, path: string): CallFn {
  let node = tree;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`no stub at ${path}`);
  return node as CallFn;
}

export function callCommand(io: CliIo): Command {
  return redisOptions(
    new Command('call')
      .summary('make one typed call from the shell and print its result')
      .description(
        "Validates the input against the contract's schema locally, sends the call, prints the output as\n" +
          'readable JSON (Dates as ISO text, Maps as objects, Sets as arrays, bigints as text), or the\n' +
          'typed error on stderr with exit code 1.',
      )
      .argument('<task>', 'dotted task path, e.g. images.resize')
      .argument('[input]', 'the input as JSON', '{}')
      .requiredOption('-c, --contract <file>', 'the module that exports the contract (.ts needs ts-morph, or give the .js)')
      .option('--export <name>', 'the router export of the contract module', 'contract')
      .option('--timeout <ms>', "the call's timeout (default: the task's, else 30 s)"),
  ).action(async (path: string, inputText: string, flags: CallFlags) => {
    const input = parseInput(inputText);
    let timeoutMs: number | undefined;
    if (flags.timeout !== undefined) {
      timeoutMs = Number(flags.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw usageError(`bad --timeout ${JSON.stringify(flags.timeout)}: milliseconds, a whole number ≥ 1`);
    }
    const target = redisTarget(flags, io);
    const [{ isRouter }, { isTask }] = await Promise.all([import('../../contract/router.js'), import('../../contract/task.js')]);
    const mod = await importModule(flags.contract, io.cwd);
    const contract = exportOf(mod, flags.export, flags.contract);
    const where = `${flags.contract}#${flags.export}`;
    if (isTask(contract)) throw new CliError(`${where}: the export is a single task(), not a router()`);
    if (!isRouter(contract)) throw new CliError(`${where}: the export is not a taskwire router() contract`);
    // The client's code (ioredis, zod) loads only now: `taskwire --help` does without it.
    const [{ routesOf }, { createRouteClient }, { boundedSource, probe }] = await Promise.all([
      import('../../contract/route.js'),
      import('../../client/create-client.js'),
      import('../redis-connect.js'),
    ]);
    const routes = routesOf(contract);
    if (!routes.has(path)) throw usageError(`unknown task "${path}" in ${where} (tasks: ${[...routes.keys()].join(', ')})`);

    await probe(target);
    const template = boundedSource(target);
    const client = createRouteClient<Record<string, unknown>>(routes, {
      redis: template,
      prefix: target.prefix,
      logger: { warn: () => undefined, error: () => undefined },
      ...(target.signing ? { signing: target.signing } : {}),
    });
    template.disconnect();
    try {
      const output = await stubAt(client, path)(input, timeoutMs === undefined ? {} : { timeoutMs });
      io.stdout(`${JSON.stringify(readableJson(output) ?? null, null, 2)}\n`);
    } catch (err) {
      const e = toTaskwireError(err);
      const data = readableJson(e.data);
      const detail = e.defined && data !== undefined ? ` ${JSON.stringify(data)}` : '';
      const message = e.message === e.code ? '' : `: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
      throw new CliError(`${path} failed: ${e.code}${e.defined ? ' (declared)' : ''}${message}${detail}`, e.code === 'VALIDATION' ? 2 : 1);
    } finally {
      await client.$close();
    }
  });
}
