import { isTaskwireError } from '../../../src/index.js';
import { expectedWork } from './fault-contract.js';
import type { FaultClient } from './fault-env.js';
import { Ledger } from './ledger.js';

export interface LoadOptions {
  /** Prefix of the calls' test ids (`<idPrefix><n>`). */
  idPrefix: string;
  /** Calls issued per round (alternating key and pub/sub reply mode), and the pause between rounds. */
  perRound: number;
  pauseMs: number;
  /** Stop after this many rounds unless stopped earlier. */
  maxRounds: number;
  /** Handler time of call n. */
  ms: (n: number) => number;
  timeoutMs: number;
  /** Reply modes taken in turn (default both: key, pubsub). */
  replyModes?: ReadonlyArray<'key' | 'pubsub'>;
}

/**
 * Steady call traffic through a fault, scored per reply mode and per phase: the test names the
 * phase it is in (`load.phase = 'down'`), and each call is accounted under the phase it was
 * issued in, so "calls made while Redis was away" can be judged apart from the rest.
 */
export class Load {
  phase = 'before';
  issued = 0;
  readonly done: Promise<void>;
  readonly #ledgers = new Map<string, Ledger>();
  #stopped = false;

  constructor(client: FaultClient, o: LoadOptions) {
    this.done = (async () => {
      const modes = o.replyModes ?? (['key', 'pubsub'] as const);
      for (let round = 0; round < o.maxRounds && !this.#stopped; round++) {
        for (let j = 0; j < o.perRound; j++, this.issued++) {
          const n = this.issued;
          const input = { id: `${o.idPrefix}${n}`, n, ms: o.ms(n) };
          const replyMode = modes[n % modes.length] ?? 'key';
          this.ledger(this.phase, replyMode).track(input.id, client.work(input, { replyMode, timeoutMs: o.timeoutMs }), expectedWork(input), o.timeoutMs);
        }
        await new Promise((r) => setTimeout(r, o.pauseMs));
      }
    })();
  }

  ledger(phase: string, mode: 'key' | 'pubsub'): Ledger {
    const name = `${phase}/${mode}`;
    let l = this.#ledgers.get(name);
    if (!l) this.#ledgers.set(name, (l = new Ledger()));
    return l;
  }

  /** Every ledger, named `<phase>/<reply mode>`. */
  ledgers(): Map<string, Ledger> {
    return this.#ledgers;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.done;
  }

  async settle(boundMs: number): Promise<void> {
    await Promise.all([...this.#ledgers.values()].map((l) => l.settle(boundMs)));
  }

  /** Latest settle time over every ledger. */
  lastSettledAt(): number {
    return Math.max(0, ...[...this.#ledgers.values()].map((l) => l.lastSettledAt()));
  }
}

/**
 * Issues one call every `everyMs` until one comes back ok, and resolves with the ms from `since`
 * to that first success: how long service took to resume. Rejects if none did within `boundMs`.
 * Waits for every probe to settle (each is bounded by its own timeout), so none is left pending.
 */
export async function timeToService(
  client: FaultClient,
  o: { since: number; idPrefix: string; replyMode: 'key' | 'pubsub'; everyMs?: number; timeoutMs?: number; boundMs?: number },
): Promise<number> {
  const everyMs = o.everyMs ?? 50;
  const bound = Date.now() + (o.boundMs ?? 15_000);
  let firstOk: number | undefined;
  const failures: Record<string, number> = {};
  const probes: Array<Promise<unknown>> = [];
  for (let i = 0; firstOk === undefined && Date.now() < bound; i++) {
    const input = { id: `${o.idPrefix}${i}`, n: i, ms: 0 };
    probes.push(
      client.work(input, { replyMode: o.replyMode, timeoutMs: o.timeoutMs ?? 1_000 }).then(
        () => (firstOk ??= Date.now()),
        (err: unknown) => {
          const code = isTaskwireError(err) ? err.code : String(err);
          failures[code] = (failures[code] ?? 0) + 1;
        },
      ),
    );
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await Promise.all(probes);
  if (firstOk === undefined) {
    throw new Error(`no ${o.replyMode}-mode call succeeded within ${o.boundMs ?? 15_000} ms; probes failed with ${JSON.stringify(failures)}`);
  }
  return firstOk - o.since;
}
