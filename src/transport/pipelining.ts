/**
 * Which commands skip ioredis' auto-pipeline, shared by connection.ts (which configures it) and
 * scripts.ts (which names the script commands), so neither imports the other.
 */

/** Script commands are registered on a connection as `<prefix><name>` (ioredis defineCommand). */
export const SCRIPT_COMMAND_PREFIX = 'tw_';

/**
 * Commands written at once rather than through ioredis' auto-pipeline. Scripts that carry a
 * batch we built ourselves (in a setImmediate, to catch everything the poll phase handed us):
 * auto-pipelining would hold each for one more setImmediate, which from inside the check phase
 * is the next turn of the event loop (issue 5: sequential p50 0.36 → 0.29 ms in key mode,
 * 0.31 → 0.24 ms in pubsub, +7% calls/s at 1,000 in flight).
 */
export const UNPIPELINED_COMMANDS: readonly string[] = [
  ...['take', 'complete', 'enqueueBatch', 'enqueueRouted'].map((n) => `${SCRIPT_COMMAND_PREFIX}${n}`),
  // The client's HDEL of the replies it has read (transport/reply-store.ts): through ioredis'
  // Pipeline objects, whether auto or explicit, it made the client promote ~13 MB/s to the old
  // generation at 3,000 sequential calls/s (scavenges of 2-3 ms instead of <1 ms). Its UNLINKs
  // of stored payloads likewise.
  'hdel',
  'unlink',
];
