import type { ContractVersion, Overview } from '../admin/overview.js';
import { age, clip, plural, rate, table, time } from './format.js';

/** `taskwire inspect`'s text: the queues table, then the workers table, from one overview. */
export function renderOverview(o: Overview, where: string): string {
  const out: string[] = [`prefix ${o.prefix} at ${where} · ${time(o.at)}\n\n`];
  if (o.queues.length === 0) out.push('no queues yet\n');
  else {
    out.push(
      table(
        [
          { title: 'QUEUE' },
          { title: 'WAITING', right: true },
          { title: 'RUNNING', right: true },
          { title: 'DELAYED', right: true },
          { title: 'DEAD', right: true },
          { title: 'WORKERS', right: true },
          { title: 'CALLS/S (1 MIN)', right: true },
          { title: 'OLDEST WAITING', right: true },
        ],
        o.queues.map((q) => [
          q.name,
          String(q.waiting),
          String(q.running),
          String(q.delayed),
          String(q.dead),
          String(q.workers),
          rate(q.callsPerSecond),
          q.oldestWaitingMs === null ? '-' : age(q.oldestWaitingMs),
        ]),
      ),
    );
  }
  const versions = o.queues.flatMap((q) => q.contracts.map((c) => ({ q, c })));
  if (versions.length > 0) {
    out.push('\n');
    out.push(
      table(
        [{ title: 'QUEUE' }, { title: 'CONTRACT' }, { title: 'WORKERS', right: true }, { title: 'TASKS' }],
        versions.map(({ q, c }) => [q.name, c.version, String(c.workers), contractTasks(c, q.contracts)]),
      ),
    );
  }
  out.push('\n');
  if (o.workers.length === 0) {
    out.push(`no live workers (none sent a heartbeat in the last ${age(o.workerTtlMs)})\n`);
    return out.join('');
  }
  out.push(
    table(
      [
        { title: 'WORKER' },
        { title: 'HOST' },
        { title: 'PID', right: true },
        { title: 'VERSION' },
        { title: 'RUNNING', right: true },
        { title: 'QUEUES' },
        { title: 'HEARTBEAT', right: true },
        { title: 'CALLS/S', right: true },
        { title: 'UP', right: true },
      ],
      o.workers.map((w) => [
        w.id.slice(0, 8),
        w.host ?? '?',
        w.pid === null ? '?' : String(w.pid),
        w.version ?? '?',
        w.running === null || w.concurrency === null ? '?' : `${w.running}/${w.concurrency}`,
        w.queues.join(','),
        `${age(w.heartbeatAgeMs)} ago`,
        rate(w.callsPerSecond),
        w.startedAt === null ? '?' : age(Math.max(0, o.at - w.startedAt)),
      ]),
    ),
  );
  out.push(`${plural(o.workers.length, 'live worker')}; RUNNING is calls running / concurrency\n`);
  return out.join('');
}

/**
 * A version's tasks: all of them when it is the queue's only version, else those in which it
 * differs from the others (path and fingerprint), which is what an operator rolling out wants.
 */
function contractTasks(c: ContractVersion, all: readonly ContractVersion[]): string {
  const key = (t: ContractVersion['tasks'][number]) => `${t.path}@${t.digest ?? t.fingerprint}`;
  const shared = all.length < 2 ? new Set<string>() : new Set(c.tasks.map(key).filter((k) => all.every((o) => o.tasks.some((t) => key(t) === k))));
  const shown = c.tasks.filter((t) => !shared.has(key(t))).map((t) => `${t.path}@${t.fingerprint.slice(0, 8)}`);
  if (shown.length === 0) return all.length < 2 ? '-' : '(same tasks, other refinements or queues)';
  return clip(shown.join(', '), 100);
}
