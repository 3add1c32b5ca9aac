import { afterEach, expect, it } from 'vitest';
import { expectedWork } from './support/fault-contract.js';
import { faultEnv, figure, privateRedis, type FaultEnv } from './support/fault-env.js';
import { Ledger } from './support/ledger.js';
import { ReplyDroppingProxy } from './support/reply-dropping-proxy.js';

const redis = privateRedis();
let env: FaultEnv | undefined;
let proxy: ReplyDroppingProxy | undefined;
afterEach(async () => {
  await env?.cleanup();
  await proxy?.close();
});

it('runs a call once when the connection dies after Redis applied its enqueue but before the client heard back', { timeout: 20_000 }, async () => {
  env = await faultEnv(redis.server.url);
  proxy = await ReplyDroppingProxy.start(redis.server.port);
  await env.worker();
  const client = env.client({ redis: proxy.url });
  expect(await client.work({ id: 'warm', n: 1, ms: 0 })).toEqual(expectedWork({ id: 'warm', n: 1 }));
  const ledger = new Ledger();
  for (let i = 0; i < 5; i++) {
    proxy.dropNextAnswerTo(new RegExp(`"id\\\\?":\\\\?"once${i}\\\\?"`));
    const input = { id: `once${i}`, n: i, ms: 0 };
    ledger.track(input.id, client.work(input, { timeoutMs: 5_000 }), expectedWork(input));
    await ledger.settle(6_000);
  }
  await new Promise((r) => setTimeout(r, 300));
  const report = ledger.report(env.log.runs());
  figure('enqueue-resent', { dropped: proxy.dropped, ...report, replies: env.tap.summary() });

  expect(proxy.dropped).toBe(5);
  expect(report).toMatchObject({ total: 5, ok: 5, wrong: 0, unknown: 0, duplicateOutcomes: 0 });
  expect(report.duplicateRuns).toBe(0);
});
