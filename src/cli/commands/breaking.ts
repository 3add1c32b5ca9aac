import { Command } from 'commander';
import type { Change } from '../../contract/compatibility.js';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-error.js';
import { loadRouter, withAgainst } from '../contract-source.js';
import { plural, table } from '../format.js';

interface BreakingFlags {
  against: string;
  export: string;
  json?: boolean;
  workersFirst?: boolean;
}

const VERDICT_TEXT: Record<Change['verdict'], string> = {
  safe: 'safe',
  'breaks-old-callers': 'breaks old callers',
  'breaks-old-workers': 'breaks old workers',
  'breaks-both': 'breaks old callers and old workers',
};

/** Whether a change fails the run: with --workers-first, breaking only old workers is the rollout's business. */
function fails(c: Change, workersFirst: boolean): boolean {
  return c.verdict === 'breaks-both' || c.verdict === 'breaks-old-callers' || (c.verdict === 'breaks-old-workers' && !workersFirst);
}

function why(c: Change): string {
  const parts: string[] = [];
  if (c.oldCallers) parts.push(`old callers: ${c.oldCallers.reason} (${c.oldCallers.runtime})`);
  if (c.oldWorkers) parts.push(`old workers: ${c.oldWorkers.reason} (${c.oldWorkers.runtime})`);
  if (c.note) parts.push(c.note);
  return parts.join('; ');
}

export function renderChanges(changes: readonly Change[], header: string, workersFirst: boolean): string {
  if (changes.length === 0) return `${header}\nno changes\n`;
  const rows = changes.map((c) => [c.task, c.field, c.change, VERDICT_TEXT[c.verdict], why(c)]);
  const failing = changes.filter((c) => fails(c, workersFirst)).length;
  const summary = failing === 0 ? `${plural(changes.length, 'change')}, none breaking` : `${plural(changes.length, 'change')}, ${failing} breaking`;
  return `${header}\n\n${table([{ title: 'TASK' }, { title: 'FIELD' }, { title: 'CHANGE' }, { title: 'VERDICT' }, { title: 'WHY' }], rows)}\n${summary}\n`;
}

export function breakingCommand(io: CliIo): Command {
  return new Command('breaking')
    .summary('compare a contract with an older version: safe, breaks old callers, breaks old workers')
    .description(
      'Lists each change between two versions of a contract with its verdict: safe, breaks callers built\n' +
        'from the old version (against new workers), or breaks old workers (called by new callers), and\n' +
        'how the runtime shows it (CONTRACT_MISMATCH, VALIDATION, UNKNOWN_TASK, NO_WORKERS, or unseen).\n' +
        'Exit 1 when anything breaks, for CI. The rules are the runtime\'s own (docs/CONTRACTS.md).',
    )
    .argument('<contract-file>', 'the contract as it is now (.ts needs ts-morph, or give the .js)')
    .requiredOption('--against <ref-or-file>', 'the older version: a file, or a git ref at which <contract-file> is read')
    .option('--export <name>', 'the router export of both modules', 'contract')
    .option('--json', 'print { file, against, export, changes, breaking } as JSON')
    .option('--workers-first', 'workers are deployed before callers: changes that break only old workers do not fail the run')
    .action(async (file: string, flags: BreakingFlags) => {
      const after = await loadRouter(file, io.cwd, flags.export);
      const { before, shown } = await withAgainst(file, flags.against, io.cwd, async (path, label) => ({
        before: await loadRouter(path, io.cwd, flags.export, label),
        shown: label,
      }));
      const [{ compareContracts }, { contractView }] = await Promise.all([import('../../contract/compatibility.js'), import('../../contract/task-view.js')]);
      const changes = compareContracts(contractView(before), contractView(after));
      const workersFirst = flags.workersFirst === true;
      const breaking = changes.filter((c) => fails(c, workersFirst)).length;
      if (flags.json) io.stdout(`${JSON.stringify({ file, export: flags.export, against: shown, changes, breaking }, null, 2)}\n`);
      else io.stdout(renderChanges(changes, `${file}#${flags.export} against ${shown}`, workersFirst));
      if (breaking > 0) throw new CliError('', 1);
    });
}
