/**
 * Redis Cluster refusals that prove a command was not run, and a bounded retry of them.
 *
 * While a slot moves (CLUSTER SETSLOT MIGRATING/IMPORTING) or a primary fails over, Redis answers
 * MOVED, ASK, TRYAGAIN or CLUSTERDOWN *before* it runs a command or script (the check is made on
 * the declared keys, in processCommand), so running it again cannot do anything twice. ioredis
 * follows these itself for a command sent alone, but not always:
 * - an auto-pipelined batch is retried only when every reply failed the same way and the rest
 *   were reads (ioredis 5 Pipeline.fillResult), so a script queued beside other writes gets
 *   the bare MOVED;
 * - a batch queued before the slot map changed is refused by ioredis before it is sent ("All
 *   keys in the pipeline should belong to the same slots allocation group");
 * - TRYAGAIN is retried every 100 ms only up to maxRedirections (16), then reported as "Too many
 *   Cluster redirections" although the migration is still under way.
 *
 * Never retried: a lost connection (the script may have run; ioredis' own re-send of those is
 * what the scripts' fencing and enqueue markers are for) and "Script attempted to access a non
 * local key", which Redis raises in the middle of a script that touches an undeclared key of a
 * migrating slot, after its earlier writes.
 */
const REFUSED_UNRUN = /^(?:MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;
const PIPELINE_SPLIT = 'All keys in the pipeline should belong to the same slots allocation group';
const TOO_MANY = /^Too many Cluster redirections\. Last error: (?:ReplyError: )?(?:MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/** Whether Redis (or ioredis, before sending) refused the command without running it. */
export function refusedUnrun(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return REFUSED_UNRUN.test(err.message) || err.message === PIPELINE_SPLIT || TOO_MANY.test(err.message);
}

/** How long a command keeps being retried through a migration or a failover. */
const RETRY_BOUND_MS = 10_000;

/** Runs `send`, again after a short pause while it is refused unrun, for at most RETRY_BOUND_MS. */
export async function retryRefusedUnrun<T>(send: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_BOUND_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!refusedUnrun(err) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(20 * attempt, 200)));
    }
  }
}
