import { isDeepStrictEqual } from 'node:util';
import { isTaskwireError } from '../../../src/index.js';

/**
 * Jepsen-style accounting of calls under faults (after the queue checker's lost/duplicated
 * counts). Every call ends ok, error(code) or unknown (still unsettled when the test stops
 * waiting: a hung promise). A call is **lost** when the caller was acknowledged but never
 * answered: it ended in TIMEOUT, or is unknown. Handler runs come from the workers' run log, so
 * duplicate executions are counted rather than guessed.
 */

export type Outcome = { kind: 'ok'; value: unknown } | { kind: 'error'; code: string } | { kind: 'unknown' };

interface Entry {
  expected: unknown;
  /** The call's timeout, when the test gave one: settling later than that is counted as overdue. */
  timeoutMs: number | undefined;
  outcome: Outcome;
  settlements: number;
  startedAt: number;
  settledAt: number | undefined;
}

export interface LedgerReport {
  total: number;
  ok: number;
  /** Resolved with a value other than the expected one. */
  wrong: number;
  errors: Record<string, number>;
  unknown: number;
  lost: number;
  /** Calls that settled more than once at the caller. */
  duplicateOutcomes: number;
  /** Handler runs recorded, runs beyond the first per call, and calls that ran more than once. */
  runs: number;
  duplicateRuns: number;
  callsRunTwiceOrMore: number;
  /** Calls that resolved ok although no handler run was recorded for them (would mean a forged reply). */
  okWithoutRun: number;
  /** Latest settle time, ms after the call was made. */
  maxLatencyMs: number;
  /** Most ms any call settled after its own deadline (calls tracked with a timeout only; <= 0 is on time). */
  maxOverDeadlineMs: number;
}

export class Ledger {
  readonly #entries = new Map<string, Entry>();
  readonly #settled = new Set<Promise<unknown>>();

  /**
   * Tracks one call; `id` is the test's own id for it (the `id` in the task input). With
   * `timeoutMs`, the report says how late past its deadline the call settled.
   */
  track(id: string, call: Promise<unknown>, expected?: unknown, timeoutMs?: number): void {
    if (this.#entries.has(id)) throw new Error(`ledger: call ${id} tracked twice`);
    const entry: Entry = { expected, timeoutMs, outcome: { kind: 'unknown' }, settlements: 0, startedAt: Date.now(), settledAt: undefined };
    this.#entries.set(id, entry);
    const done = (outcome: Outcome) => {
      entry.settlements++;
      if (entry.settlements === 1) {
        entry.outcome = outcome;
        entry.settledAt = Date.now();
      }
    };
    const p = call.then(
      (value) => done({ kind: 'ok', value }),
      (err: unknown) => done({ kind: 'error', code: isTaskwireError(err) ? err.code : `NOT_A_TASKWIRE_ERROR: ${String(err)}` }),
    );
    this.#settled.add(p);
  }

  get size(): number {
    return this.#entries.size;
  }

  get unsettled(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.outcome.kind === 'unknown') n++;
    return n;
  }

  outcome(id: string): Outcome | undefined {
    return this.#entries.get(id)?.outcome;
  }

  /** Waits until every tracked call settled or `boundMs` passed; what is left stays unknown. */
  async settle(boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#settled]),
      new Promise((resolve) => (timer = setTimeout(resolve, boundMs))),
    ]);
    clearTimeout(timer);
  }

  /** Ids of the calls whose outcome is this error code (or 'unknown'). */
  idsWith(code: string): string[] {
    const ids: string[] = [];
    for (const [id, e] of this.#entries) {
      if ((e.outcome.kind === 'error' && e.outcome.code === code) || (e.outcome.kind === 'unknown' && code === 'unknown')) ids.push(id);
    }
    return ids;
  }

  /** The last time any call settled, ms since epoch. */
  lastSettledAt(): number {
    let last = 0;
    for (const e of this.#entries.values()) if (e.settledAt !== undefined && e.settledAt > last) last = e.settledAt;
    return last;
  }

  report(runs: ReadonlyMap<string, number> = new Map()): LedgerReport {
    const r: LedgerReport = {
      total: this.#entries.size, ok: 0, wrong: 0, errors: {}, unknown: 0, lost: 0, duplicateOutcomes: 0,
      runs: 0, duplicateRuns: 0, callsRunTwiceOrMore: 0, okWithoutRun: 0, maxLatencyMs: 0, maxOverDeadlineMs: -Infinity,
    };
    for (const [id, e] of this.#entries) {
      if (e.settlements > 1) r.duplicateOutcomes++;
      if (e.settledAt !== undefined) {
        r.maxLatencyMs = Math.max(r.maxLatencyMs, e.settledAt - e.startedAt);
        if (e.timeoutMs !== undefined) r.maxOverDeadlineMs = Math.max(r.maxOverDeadlineMs, e.settledAt - e.startedAt - e.timeoutMs);
      }
      const n = runs.get(id) ?? 0;
      r.runs += n;
      if (n > 1) {
        r.duplicateRuns += n - 1;
        r.callsRunTwiceOrMore++;
      }
      switch (e.outcome.kind) {
        case 'ok':
          r.ok++;
          if (e.expected !== undefined && !isDeepStrictEqual(e.outcome.value, e.expected)) r.wrong++;
          if (runs.size > 0 && n === 0) r.okWithoutRun++;
          break;
        case 'error':
          r.errors[e.outcome.code] = (r.errors[e.outcome.code] ?? 0) + 1;
          if (e.outcome.code === 'TIMEOUT') r.lost++;
          break;
        case 'unknown':
          r.unknown++;
          r.lost++;
          break;
      }
    }
    return r;
  }
}
