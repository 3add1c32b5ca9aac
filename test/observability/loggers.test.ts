import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorker, type Logger } from '../../src/index.js';
import { queueKeys } from '../../src/wire/keys.js';
import { inspector, pushRaw, randomPrefix, redisUrl } from '../support/redis.js';
import { observedContract, observedHandlers } from './observed-contract.js';

/** The `logger` option takes pino and console as they are (src/logger.ts toLogger). */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  vi.restoreAllMocks();
});

/** A pino logger at `level` writing JSON lines into an array. */
function pinoInto(level: string): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** A worker with `logger`, fed one unreadable message (which it warns about and sets aside); resolves once it did. */
async function warnOnce(logger: Logger): Promise<void> {
  const prefix = randomPrefix();
  const insp = inspector(prefix);
  const worker = createWorker(observedContract, observedHandlers({ runs: 0, ticks: 0 }), { redis: redisUrl(), prefix, logger });
  cleanups.push(async () => {
    await worker.close({ drainTimeoutMs: 200 });
    await insp.cleanup();
  });
  await worker.start();
  await pushRaw(insp.redis, queueKeys(prefix, 'obs'), 'not a call');
  const until = Date.now() + 5_000;
  while (worker.stats.deadLettered === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(worker.stats.deadLettered).toBe(1);
}

describe('the logger option', () => {
  it('takes pino: the message as msg and the detail as fields', async () => {
    const { logger, lines } = pinoInto('warn');
    await warnOnce(logger);
    const line = lines.find((l) => l['msg'] === 'taskwire: malformed message set aside');
    expect(line).toMatchObject({ level: 40, queue: 'obs' });
    expect(typeof line?.['reason']).toBe('string');
  });

  it('keeps a pino at error level, or silent, silent about warnings', async () => {
    const quiet = pinoInto('error');
    const silent = pinoInto('silent');
    await warnOnce(quiet.logger);
    await warnOnce(silent.logger);
    expect(quiet.lines).toEqual([]);
    expect(silent.lines).toEqual([]);
  });

  it('takes console as it is', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await warnOnce(console);
    expect(warn).toHaveBeenCalledWith('taskwire: malformed message set aside', expect.objectContaining({ queue: 'obs' }));
  });
});
