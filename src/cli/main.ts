#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliIo } from './cli-io.js';
import { ownPackage } from '../own-package.js';

/**
 * The `taskwire` command: a thin dispatcher. Each subcommand lives in its own file and is
 * imported only when run, so `taskwire --help` does not load ts-morph.
 */
interface Command {
  readonly summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  codegen: {
    summary: 'write a standalone typed client for a contract (taskwire codegen --help)',
    run: async (args, io) => (await import('./codegen-command.js')).runCodegen(args, io),
  },
};

const OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['--version, -v', "print taskwire's version"],
  ['--help, -h', 'print this help'],
];

function usage(): string {
  const commands = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`);
  const options = OPTIONS.map(([flags, summary]) => `  ${flags.padEnd(14)} ${summary}`);
  return ['usage: taskwire <command> [options]', '       taskwire --version', '', 'commands:', ...commands, '', 'options:', ...options, ''].join('\n');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${ownPackage().version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`taskwire: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  return command.run(rest, io);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // npm links bin entries; compare real paths so a symlinked `taskwire` still counts.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: CliIo = {
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`taskwire: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
