import { runInFlight } from './load.js';
import { BASE_PAYLOAD_BYTES } from './options.js';
import { taskwireSystem } from './systems/taskwire.js';
import { payload } from './workload.js';

/**
 * Child-process entry for `bench/profile.ts`: a taskwire client alone in its process (run with
 * --cpu-prof), holding <in flight> calls outstanding for <seconds>.
 * argv: <redis url> <prefix> <key|pubsub> <in flight> <seconds> [spin rounds per call, default 0] [payload bytes,
 * default BASE_PAYLOAD_BYTES]. Says {type:'done', ...LoadResult}.
 */
const [url, prefix, mode, inFlight, seconds, spinRounds = '0', bytes = String(BASE_PAYLOAD_BYTES)] = process.argv.slice(2);
if (!url || !prefix || (mode !== 'key' && mode !== 'pubsub') || !inFlight || !seconds) {
  console.error('usage: profile-client <url> <prefix> <key|pubsub> <in flight> <seconds>');
  process.exit(2);
}
const client = await taskwireSystem(mode).connect({ url, namespace: prefix });
const input = { data: payload(Number(bytes)), spin: Number(spinRounds) };
const result = await runInFlight(() => client.call(input), Number(inFlight), 1000, Number(seconds) * 1000);
await client.close();
// Exiting (not just returning) is what makes --cpu-prof write the profile.
process.send?.({ type: 'done', ...result }, () => process.exit(0));
