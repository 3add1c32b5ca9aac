/**
 * A worker or client as a user's process meets it, for the first-hour lifecycle tests: started
 * by them as `node --import tsx lifecycle-process.ts` with TW_LIFECYCLE (JSON) saying what to
 * do. It never calls process.exit: the test asserts that the process ends by itself once the
 * scenario has closed what it opened. Log lines go to stderr, each stamped with the time, and
 * `closed <ms since epoch>` marks the moment close() resolved.
 */
import { createClient, createWorker, type Logger } from '../../../src/index.js';
import { contract, handlers } from '../../support/fixtures.js';

export type LifecycleScenario =
  /** `worker.start(); await sleep(gapMs); await worker.close();` (issue 13, point 3). */
  | { kind: 'close-during-start'; url: string; prefix: string; gapMs: number }
  /** A start that fails (Redis unreachable), then close(). */
  | { kind: 'failed-start'; url: string; prefix: string; connectTimeoutMs: number }
  /** A worker and a client held with `await using`, one call, then the scope ends. */
  | { kind: 'await-using'; url: string; prefix: string }
  /** A client that makes a call and is never closed. */
  | { kind: 'open-client'; url: string; prefix: string };

const scenario = JSON.parse(process.env['TW_LIFECYCLE'] ?? 'null') as LifecycleScenario | null;
if (!scenario) throw new Error('lifecycle-process: run me through a first-hour test (needs TW_LIFECYCLE)');

const logger: Logger = {
  warn: (message, detail) => console.error(`log ${Date.now()} warn ${message} ${JSON.stringify(detail ?? {})}`),
  error: (message, detail) => console.error(`log ${Date.now()} error ${message} ${JSON.stringify(detail ?? {})}`),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const closed = () => console.error(`closed ${Date.now()}`);

switch (scenario.kind) {
  case 'close-during-start': {
    const worker = createWorker(contract, handlers, { redis: scenario.url, prefix: scenario.prefix, logger });
    // Not awaited, as in the issue: whatever it settles with must not crash the process.
    void worker.start();
    if (scenario.gapMs > 0) await sleep(scenario.gapMs);
    await worker.close();
    closed();
    break;
  }
  case 'failed-start': {
    const worker = createWorker(contract, handlers, { redis: scenario.url, prefix: scenario.prefix, logger, connectTimeoutMs: scenario.connectTimeoutMs });
    const err = await worker.start().then(() => undefined, (e: unknown) => e);
    console.error(`start ${err instanceof Error ? `rejected ${err.message}` : 'resolved'}`);
    await worker.close();
    closed();
    break;
  }
  case 'await-using': {
    {
      await using worker = createWorker(contract, handlers, { redis: scenario.url, prefix: scenario.prefix, logger });
      await using client = createClient(contract, { redis: scenario.url, prefix: scenario.prefix, logger });
      await worker.start();
      console.error(`result ${await client.math.add({ a: 2, b: 3 })}`);
    }
    closed();
    break;
  }
  case 'open-client': {
    const client = createClient(contract, { redis: scenario.url, prefix: scenario.prefix, logger, noWorkers: 'wait' });
    await client.math.add({ a: 2, b: 3 }, { timeoutMs: 100 }).catch(() => undefined);
    console.error('called');
    break;
  }
}
