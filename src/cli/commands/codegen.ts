import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-error.js';
import { installHint, peerInstalled } from '../optional-peer.js';

const HELP = `usage: taskwire codegen <contract-file> --out <client-file> [--export <name>] [--check]

Writes ONE self-contained TypeScript module with the contract's types, a route table and
createClient(options); it imports only "taskwire". Needs ts-morph, an optional peer
dependency of taskwire that a production install leaves out (npm install -D ts-morph).

  --out, -o <file>   where to write the client (required)
  --export <name>    the router export of the contract module (default: contract)
  --check            write nothing; exit 1 if <client-file> is missing or differs
`;

/** Exit codes: 0 done, 1 failed, stale or ts-morph missing, 2 wrong usage. */
export async function runCodegen(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        export: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr(`taskwire codegen: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || values.out === undefined || extra.length > 0) {
    io.stderr(`taskwire codegen: ${file === undefined ? 'missing <contract-file>' : values.out === undefined ? 'missing --out <client-file>' : `unexpected argument "${extra[0]}"`}\n${HELP}`);
    return 2;
  }
  const exportName = values.export ?? 'contract';
  const out = resolve(io.cwd, values.out);
  if (out === resolve(io.cwd, file)) {
    io.stderr(`taskwire codegen: ${file}: --out must not be the contract file itself\n`);
    return 1;
  }

  if (!peerInstalled('ts-morph')) {
    io.stderr(`taskwire codegen needs ts-morph, an optional peer dependency that is not installed: ${installHint('ts-morph')}\n`);
    return 1;
  }
  // Imported only now, after the check: codegen/ loads ts-morph, which a production install lacks.
  const { CodegenError, generate, writeFileAtomic } = await import('../../../codegen/index.js');

  let text: string;
  let taskCount: number;
  try {
    ({ text, taskCount } = await generate({ file, out, exportName, cwd: io.cwd }));
  } catch (err) {
    if (err instanceof CodegenError) {
      io.stderr(`taskwire codegen: ${err.message}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`taskwire codegen: ${file}#${exportName}: internal error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }

  if (values.check) {
    let current: string | undefined;
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) {
      io.stdout(`${values.out} is up to date\n`);
      return 0;
    }
    const why = current === undefined ? 'does not exist' : 'is stale';
    io.stderr(`taskwire codegen: ${values.out} ${why}; regenerate with: taskwire codegen ${file} --out ${values.out}${values.export ? ` --export ${exportName}` : ''}\n`);
    return 1;
  }

  writeFileAtomic(out, text);
  io.stdout(`wrote ${values.out} (${taskCount} task${taskCount === 1 ? '' : 's'})\n`);
  return 0;
}

/**
 * `taskwire codegen` as it always was: its own arguments, help text and exit codes (pinned by
 * test/codegen/cli.test.ts), so commander only routes to it and passes everything through.
 */
export function codegenCommand(io: CliIo): Command {
  return new Command('codegen')
    .summary('write a standalone typed client for a contract (taskwire codegen --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const code = await runCodegen(args, io);
      if (code !== 0) throw new CliError('', code === 2 ? 2 : 1);
    });
}
