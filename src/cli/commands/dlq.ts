import { Command } from 'commander';
import { isDeadLetterId } from '../../admin/dead-letters.js';
import { deadLetterView, type DeadLetterView } from '../../admin/dead-letter-view.js';
import { isEmptyFilter, parseInputCondition, parseSince, type DeadLetterFilter } from '../../admin/dead-letter-filter.js';
import type { DeadLetter, DeadLetters } from '../../admin/dead-letters.js';
import { queueNameProblem } from '../../contract/names.js';
import type { CliIo } from '../cli-io.js';
import { CliError, usageError } from '../cli-error.js';
import { clip, plural, table, time } from '../format.js';
import { ProgressBar } from '../progress-bar.js';
import { redisOptions, redisTarget, type RedisFlags } from '../redis-flags.js';

interface FilterFlags extends RedisFlags {
  task?: string;
  reason?: string;
  since?: string;
  where?: string[];
}

interface BulkFlags extends FilterFlags {
  all?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** Dead letters are replayed this many at a time: each is a read and a script call. */
const REPLAY_CONCURRENCY = 16;

function withFilters(cmd: Command): Command {
  return cmd
    .option('--task <path>', 'only dead letters of this task (dotted path)')
    .option('--reason <reason>', 'only this reason: ATTEMPTS_EXHAUSTED, MAX_DELIVERIES, UNKNOWN_TASK, PAYLOAD_TOO_LARGE, PROTOCOL')
    .option('--since <when>', 'only those set aside since a duration ago (30s, 15m, 2h, 7d) or a date (2026-05-01)')
    .option('--where <field=value...>', 'only those whose decoded input has field=value (or field~text: contains); dotted paths, repeatable');
}

function filterOf(flags: FilterFlags): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (flags.task !== undefined) filter.task = flags.task;
  if (flags.reason !== undefined) filter.reason = flags.reason;
  if (flags.since !== undefined) filter.since = parseSince(flags.since, Date.now());
  if (flags.where !== undefined) filter.where = flags.where.map(parseInputCondition);
  return filter;
}

function checkQueue(queue: string): void {
  const problem = queueNameProblem(queue);
  if (problem !== undefined) throw usageError(`bad queue name ${JSON.stringify(queue)}: ${problem}`);
}

function checkIds(ids: readonly string[]): void {
  const bad = ids.find((id) => !isDeadLetterId(id));
  if (bad !== undefined) throw usageError(`bad dead letter id ${JSON.stringify(bad)}: ids look like 1767000000000-0, or 1767000000000-0#2 on a partitioned queue (see taskwire dlq list)`);
}

/** Opens the admin, checks the queue exists, runs `f` with its dead letters, closes. */
async function onQueue<T>(io: CliIo, flags: RedisFlags, queue: string, f: (letters: DeadLetters) => Promise<T>): Promise<T> {
  checkQueue(queue);
  const target = redisTarget(flags, io);
  const { knownQueue, openAdmin } = await import('../redis-connect.js');
  const admin = await openAdmin(target);
  try {
    await knownQueue(admin, target, queue);
    return await f(admin.deadLetters(queue));
  } finally {
    await admin.close();
  }
}

function errorText(v: DeadLetterView): string {
  if (v.error) return `${v.error.code}: ${v.error.message}`;
  return v.detail ?? '';
}

function listTable(views: readonly DeadLetterView[]): string {
  return table(
    [{ title: 'ID' }, { title: 'AT (UTC)' }, { title: 'TASK' }, { title: 'REASON' }, { title: 'ATTEMPT', right: true }, { title: 'ERROR' }, { title: 'INPUT' }],
    views.map((v) => [
      v.id,
      time(v.at),
      v.task ?? '?',
      v.reason,
      v.attempt === null ? '?' : String(v.attempt),
      clip(errorText(v), 48),
      v.inputProblem === null ? clip(JSON.stringify(v.input), 48) : `(${clip(v.inputProblem, 40)})`,
    ]),
  );
}

function showText(d: DeadLetter, v: DeadLetterView): string {
  const lines = [
    `id        ${v.id}`,
    `queue     ${v.queue}`,
    `task      ${v.task ?? '?'}`,
    `call      ${v.callId ?? '?'}`,
    `reason    ${v.reason}${v.detail ? ` (${v.detail})` : ''}`,
    `attempt   ${v.attempt ?? '?'}`,
    `sent at   ${v.sentAt === null ? '?' : time(v.sentAt)}`,
    `set aside ${time(v.at)}`,
  ];
  if (v.headers && Object.keys(v.headers).length > 0) lines.push(`headers   ${JSON.stringify(v.headers)}`);
  lines.push(v.error ? `error     ${v.error.code}${v.error.defined ? ' (declared)' : ''}: ${v.error.message}` : 'error     none');
  if (v.error?.data !== null && v.error?.data !== undefined) lines.push(`          data ${JSON.stringify(v.error.data)}`);
  lines.push(v.inputProblem === null ? `input\n${JSON.stringify(v.input, null, 2)}` : `input     (${v.inputProblem})`);
  if (d.raw) lines.push(`envelope\n${d.raw.envelope}`, ...(d.raw.storedInput ? [`stored input\n${d.raw.storedInput}`] : []), ...(d.raw.reply ? [`reply\n${d.raw.reply}`] : []));
  return `${lines.join('\n')}\n`;
}

type Verb = 'replay' | 'purge';

/** What a bulk or by-id replay/purge applies to: the named ids (all must exist) or every match of the filter. */
async function select(letters: DeadLetters, queue: string, named: readonly string[], flags: BulkFlags): Promise<DeadLetter[]> {
  const filter = filterOf(flags);
  // An id named twice is one letter: counted, asked about and acted on once.
  const ids = [...new Set(named)];
  if (ids.length > 0) {
    if (flags.all || !isEmptyFilter(filter)) throw usageError('name dead letter ids or select them with --all/--task/--reason/--since/--where, not both');
    const found = await Promise.all(ids.map((id) => letters.get(id)));
    const missing = ids.filter((_, i) => found[i] === undefined);
    if (missing.length > 0) throw new CliError(`no dead letter ${missing.join(', ')} on queue "${queue}" (see taskwire dlq list ${queue})`);
    return found.filter((d): d is DeadLetter => d !== undefined);
  }
  if (!flags.all && isEmptyFilter(filter)) {
    throw usageError('say which dead letters: ids, or --all, or a filter (--task, --reason, --since, --where)');
  }
  return letters.find(filter);
}

async function confirm(io: CliIo, verb: Verb, n: number, queue: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const what = `${plural(n, 'dead letter')} of queue "${queue}"`;
  if (!io.tty.stdin) throw usageError(`${verb} ${what}? stdin is not a terminal to ask: add --yes (or --dry-run to list them)`);
  const answer = (await io.question(`${verb === 'replay' ? 'Replay' : 'Purge (delete for good)'} ${what}? [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new CliError('nothing done');
}

/** Runs `one` over the letters, a few at a time, with a progress bar; answers done, gone and failed. */
async function each(io: CliIo, label: string, letters: readonly DeadLetter[], one: (id: string) => Promise<boolean>) {
  const bar = new ProgressBar((t) => io.stderr(t), label, letters.length, io.tty.stderr);
  let done = 0;
  let gone = 0;
  const failed: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < letters.length) {
      const d = letters[next++] as DeadLetter;
      try {
        if (await one(d.id)) done++;
        else gone++;
      } catch (err) {
        failed.push(`${d.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
      bar.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPLAY_CONCURRENCY, letters.length) }, lane));
  bar.finish();
  return { done, gone, failed };
}

function bulk(io: CliIo, verb: Verb): Command {
  const past = verb === 'replay' ? 'replayed' : 'purged';
  return withFilters(
    redisOptions(
      new Command(verb)
        .summary(verb === 'replay' ? 'put dead letters back on their queue as fresh calls' : 'delete dead letters for good')
        .argument('<queue>')
        .argument('[ids...]', 'dead letter ids (from dlq list); or select with --all or filters')
        .option('--all', `${verb} every dead letter of the queue (with filters: every match)`)
        .option('--dry-run', `list what would be ${past}, change nothing`)
        .option('-y, --yes', 'do not ask for confirmation')
        .option('--json', 'print the dry run\'s list, or the outcome, as JSON'),
    ),
  ).action(async (queue: string, ids: string[], flags: BulkFlags) => {
    checkIds(ids);
    filterOf(flags);
    await onQueue(io, flags, queue, async (letters) => {
      const everything = ids.length === 0 && flags.all === true && isEmptyFilter(filterOf(flags));
      const chosen = await select(letters, queue, ids, flags);
      const outcome = (done: number, gone: number, failed: readonly string[]) =>
        io.stdout(`${JSON.stringify({ queue, matched: chosen.length, [past]: done, gone, failed })}\n`);
      if (chosen.length === 0) {
        if (flags.json) return outcome(0, 0, []);
        io.stdout(`no dead letter of queue "${queue}" matches; nothing ${past}\n`);
        return;
      }
      if (flags.dryRun) {
        if (flags.json) return io.stdout(`${JSON.stringify(chosen.map(deadLetterView), null, 2)}\n`);
        io.stdout(listTable(chosen.map(deadLetterView)));
        io.stdout(`would ${verb} ${plural(chosen.length, 'dead letter')} of queue "${queue}" (dry run: nothing changed)\n`);
        return;
      }
      await confirm(io, verb, chosen.length, queue, flags.yes);
      if (verb === 'purge' && everything) {
        // One trim per stream, through the newest letter counted in the question: letters set
        // aside while it was asked stay (nobody agreed to them).
        const n = await letters.purgeAll(undefined, { through: chosen[chosen.length - 1]?.id ?? '0-0' });
        if (flags.json) return outcome(n, 0, []);
        io.stdout(`purged ${plural(n, 'dead letter')} of queue "${queue}"\n`);
        return;
      }
      const r = await each(io, verb === 'replay' ? 'replaying' : 'purging', chosen, (id) => (verb === 'replay' ? letters.replay(id) : letters.purge(id)));
      const notes = [...(r.gone > 0 ? [`${r.gone} already gone`] : []), ...(r.failed.length > 0 ? [`${r.failed.length} failed, first: ${r.failed[0]}`] : [])];
      if (flags.json) outcome(r.done, r.gone, r.failed);
      else io.stdout(`${past} ${r.done} of ${plural(chosen.length, 'dead letter')} of queue "${queue}"${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
      if (r.failed.length > 0) throw new CliError('', 1);
    });
  });
}

export function dlqCommand(io: CliIo): Command {
  const list = withFilters(
    redisOptions(
      new Command('list')
        .summary("a queue's dead letters, oldest first")
        .argument('<queue>')
        .option('--limit <n>', 'show at most n', '50')
        .option('--json', 'print them as JSON'),
    ),
  ).action(async (queue: string, flags: FilterFlags & { limit: string; json?: boolean }) => {
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw usageError(`bad --limit ${JSON.stringify(flags.limit)}: a whole number ≥ 1`);
    const filter = filterOf(flags);
    await onQueue(io, flags, queue, async (letters) => {
      const [found, total] = await Promise.all([letters.find(filter, { limit }), letters.count()]);
      const views = found.map(deadLetterView);
      if (flags.json) {
        io.stdout(`${JSON.stringify(views, null, 2)}\n`);
        return;
      }
      if (views.length > 0) io.stdout(listTable(views));
      const filtered = isEmptyFilter(filter) ? '' : ' matching';
      io.stdout(`${plural(views.length, 'dead letter')}${filtered} shown; queue "${queue}" holds ${total}\n`);
    });
  });

  const show = redisOptions(
    new Command('show')
      .summary('one dead letter in full: the call, its input and its error')
      .argument('<queue>')
      .argument('<id>')
      .option('--json', 'print it as JSON')
      .option('--raw', 'add the wire texts (envelope, stored input, reply)'),
  ).action(async (queue: string, id: string, flags: RedisFlags & { json?: boolean; raw?: boolean }) => {
    checkIds([id]);
    await onQueue(io, flags, queue, async (letters) => {
      const d = await letters.get(id, { raw: flags.raw === true });
      if (!d) throw new CliError(`no dead letter ${id} on queue "${queue}" (see taskwire dlq list ${queue})`);
      const v = deadLetterView(d);
      io.stdout(flags.json ? `${JSON.stringify(flags.raw ? { ...v, raw: d.raw } : v, null, 2)}\n` : showText(d, v));
    });
  });

  return new Command('dlq')
    .summary('list, show, replay and purge dead letters')
    .description('Dead letters: calls set aside after their attempts or deliveries ran out, or that no worker could read.')
    .addCommand(list)
    .addCommand(show)
    .addCommand(bulk(io, 'replay'))
    .addCommand(bulk(io, 'purge'));
}
