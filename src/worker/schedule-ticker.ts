import type { Logger } from '../logger.js';
import type { QueueKeys } from '../wire/keys.js';
import { decodeRecord, tickEnvelope, timingOf } from '../wire/schedule-record.js';
import { planTick, type TickPlan } from '../wire/schedule-timing.js';
import type { DueSchedule, ScheduleStore } from '../transport/schedule-store.js';

/** A schedule this worker could not fire is tried again after this long (and said again, loudly). */
const BROKEN_RETRY_MS = 60_000;
/** Most due schedules one check fires per queue; a full batch is followed by another check at once. */
const BATCH = 100;

/** A record's revision by its head (as the scripts read it), '' if it has none. */
function revOf(raw: string): string {
  return /^\{"v":1,"rev":"([^"]*)"/.exec(raw)?.[1] ?? '';
}

export interface ScheduleTickerOptions {
  queues: readonly QueueKeys[];
  store: () => ScheduleStore;
  /** The longest wait between two checks (the maintenance interval). */
  intervalMs: number;
  agingMs: number;
  logger: Logger;
  /** Whether failures are news (not while the worker closes). */
  live: () => boolean;
  /** Signs the calls it fires (docs/SECURITY.md, *Signing*). */
  sign?: (raw: string) => string;
}

/**
 * Fires the due ticks of the schedules on a worker's queues (docs/SCHEDULING.md, *Schedules*).
 * Every worker of a queue runs one: each check reads what is due by Redis' clock, computes each
 * tick's call and the next tick, and fires it with a compare-and-set (schedule-fire-6.lua), so
 * of all the workers that try, one pushes the call. It checks at least every `intervalMs`, and
 * when the next tick comes sooner, then: ticks fire within milliseconds, not on the maintenance
 * beat. A queue without schedules costs one short script per interval.
 *
 * A schedule it cannot fire (a record it cannot read, a cron or zone this runtime cannot
 * compute) is left as it is in Redis, never dropped, and logged as an error; it is tried again
 * after BROKEN_RETRY_MS, or at once when the schedule is updated. Other workers still try it.
 */
export class ScheduleTicker {
  readonly #o: ScheduleTickerOptions;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #stopped = true;
  /** Poked during a check: check again right after it. */
  #again = false;
  /** `<base>\n<id>\n<rev>` → when (local ms) to try it again. */
  readonly #broken = new Map<string, number>();

  constructor(o: ScheduleTickerOptions) {
    this.#o = o;
  }

  start(): void {
    this.#stopped = false;
    this.#after(0);
  }

  /** No check runs after this resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#checking;
  }

  /** Checks now (a schedule changed), or right after the check that runs. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#checking) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#after(0);
  }

  #after(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#again = false;
      this.#checking = this.#checkAll().then((wait) => {
        this.#checking = undefined;
        this.#after(this.#again ? 0 : wait);
      });
    }, ms);
  }

  /** Checks every queue; answers how long to wait before the next check. */
  async #checkAll(): Promise<number> {
    const waits = await Promise.all(this.#o.queues.map((k) => this.#check(k)));
    return Math.min(this.#o.intervalMs, ...waits);
  }

  async #check(k: QueueKeys): Promise<number> {
    try {
      const skipped = this.#skippedIn(k);
      const scan = await this.#o.store().due(k, BATCH + skipped);
      const read = performance.now();
      const due = scan.due.filter((d) => !this.#isBroken(k, d));
      const nexts = await Promise.all(due.map((d) => this.#fire(k, d, scan.now)));
      if (scan.due.length >= BATCH + skipped) return 0;
      // Waits are measured on Redis' clock from the read: neither clock is compared with the other.
      const soonest = Math.min(scan.next ?? Infinity, ...nexts.map((n) => n ?? Infinity));
      const elapsed = performance.now() - read;
      return Math.max(0, soonest - scan.now - elapsed) + 1;
    } catch (err) {
      if (this.#o.live()) this.#o.logger.warn('taskwire: schedule check failed', { queue: k.queue, error: String(err) });
      return this.#o.intervalMs;
    }
  }

  /** Fires one due tick (or moves it on); answers the next tick it computed, if it did. */
  async #fire(k: QueueKeys, d: DueSchedule, now: number): Promise<number | undefined> {
    const decoded = d.raw === '' ? { ok: false as const, reason: 'the tick has no record' } : decodeRecord(d.raw);
    if (!decoded.ok) {
      this.#broke(k, d.id, revOf(d.raw), `its record cannot be read: ${decoded.reason}`);
      return undefined;
    }
    const r = decoded.record;
    let plan: TickPlan;
    try {
      plan = planTick(timingOf(r), d.tick, now, r.catchUp);
    } catch (err) {
      this.#broke(k, d.id, r.rev, `its next tick cannot be computed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const unsigned = plan.fire ? tickEnvelope(r, plan.tick, now) : undefined;
    const envelope = unsigned !== undefined && this.#o.sign ? this.#o.sign(unsigned) : unsigned;
    await this.#o.store().fire(k, { id: r.id, rev: r.rev, due: d.tick, next: plan.next, envelope, agingMs: this.#o.agingMs });
    return plan.next;
  }

  #broke(k: QueueKeys, id: string, rev: string, reason: string): void {
    this.#broken.set(`${k.base}\n${id}\n${rev}`, performance.now() + BROKEN_RETRY_MS);
    this.#o.logger.error(`taskwire: schedule "${id}" on queue "${k.queue}" cannot fire: ${reason}. It is kept as it is and tried again in ${BROKEN_RETRY_MS / 1000} s, or when it is updated`, {
      queue: k.queue,
      schedule: id,
    });
  }

  #isBroken(k: QueueKeys, d: DueSchedule): boolean {
    const key = `${k.base}\n${d.id}\n${revOf(d.raw)}`;
    const until = this.#broken.get(key);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.#broken.delete(key);
    return false;
  }

  /** How many of the queue's schedules this worker leaves alone for now (forgetting those whose time is up). */
  #skippedIn(k: QueueKeys): number {
    let n = 0;
    const now = performance.now();
    for (const [key, until] of this.#broken) {
      if (until <= now) this.#broken.delete(key);
      else if (key.startsWith(`${k.base}\n`)) n++;
    }
    return n;
  }
}
