/**
 * A worker process for the schedule tests: `node --import tsx schedule-worker.ts` with
 * TW_SCHEDULE_WORKER = { url, prefix, log, dieOnFire? }. Says 'ready' over IPC once it takes
 * calls. With dieOnFire it SIGKILLs itself the moment it is about to send its first
 * schedule-fire-6 script: it has read a due schedule and computed the tick's call, and dies
 * mid-tick, before Redis sees anything of it.
 */
import { Redis } from 'ioredis';
import { createWorker } from '../../src/index.js';
import { scheduleContract, scheduleHandlers } from './schedule-contract.js';

const config = JSON.parse(process.env['TW_SCHEDULE_WORKER'] ?? 'null') as { url: string; prefix: string; log: string; dieOnFire?: boolean } | null;
if (!config || !process.send) {
  console.error('schedule-worker: needs TW_SCHEDULE_WORKER and an IPC channel');
  process.exit(2);
}
process.on('disconnect', () => process.exit(3));

if (config.dieOnFire) {
  // Every command of every ioredis connection passes here; a fire is the EVALSHA (or EVAL) with
  // 6 keys, the queue's ticks key among them.
  type Send = (this: Redis, command: { name: string; args: unknown[] }, ...rest: unknown[]) => unknown;
  const proto = Redis.prototype as unknown as { sendCommand: Send };
  const send = proto.sendCommand;
  const ticks = `${config.prefix}:{sched}:ticks`;
  proto.sendCommand = function (command, ...rest) {
    const isScript = command.name === 'evalsha' || command.name === 'eval';
    if (isScript && String(command.args[1]) === '6' && command.args.includes(ticks)) process.kill(process.pid, 'SIGKILL');
    return send.call(this, command, ...rest);
  };
}

const worker = createWorker(scheduleContract, scheduleHandlers(config.log), {
  redis: config.url,
  prefix: config.prefix,
  concurrency: 8,
  leaseMs: 1_500,
  maintenanceIntervalMs: 100,
  logger: { warn: () => undefined, error: (m) => console.error(m) },
});
worker.closeOnSignals();
await worker.start();
process.send({ type: 'ready' });
