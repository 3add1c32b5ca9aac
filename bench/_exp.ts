import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis-server.js';
const server = await RedisServer.start();
const r = new Redis(server.url);
const env = JSON.stringify({ v: 1, id: 'c000000000001', task: 'echo', input: { json: { data: 'x'.repeat(100), n: 1 } }, reply: { mode: 'hash', client: 'client-1' }, deadline: Date.now(), attempt: 1, sentAt: Date.now(), fp: 'abcdef0123' });
const scripts: Record<string, string> = {
  lpop_return: `local x = redis.call('LPOP', KEYS[1], 100) return x`,
  lpop_concat_set: `local x = redis.call('LPOP', KEYS[1], 100) redis.call('SET', KEYS[2], table.concat(x, '\\n')) redis.call('ZADD', KEYS[3], 5, KEYS[2]) return x`,
  lmove_each: `local x = {} for i = 1, 100 do x[i] = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') end redis.call('ZADD', KEYS[3], 5, KEYS[2]) return x`,
  lrange_ltrim_rpush: `local x = redis.call('LRANGE', KEYS[1], 0, 99) redis.call('LTRIM', KEYS[1], 100, -1) redis.call('RPUSH', KEYS[2], unpack(x)) return x`,
  lpop_rpush_ret: `local x = redis.call('LPOP', KEYS[1], 100) redis.call('RPUSH', KEYS[2], unpack(x)) return x`,
};
const raws = Array.from({ length: 100 }, () => env);
for (const [name, lua] of Object.entries(scripts)) {
  const sha = (await r.script('LOAD', lua)) as string;
  await r.config('RESETSTAT');
  const rounds = 500;
  for (let i = 0; i < rounds; i++) {
    await r.rpush('w', ...raws);
    await r.evalsha(sha, 4, 'w', 'b' + i, 'z' + (i % 1), 'h' + (i % 1));
  }
  const info = await r.info('commandstats');
  const us = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1]);
  await r.config('RESETSTAT');
  for (let i = 0; i < rounds; i++) await r.del('b' + i);
  const del = Number(/cmdstat_del:calls=\d+,usec=(\d+)/.exec(await r.info('commandstats'))?.[1]);
  console.log(name, (us / rounds / 100).toFixed(2), 'µs per call; DEL', (del / rounds / 100).toFixed(3));
  await r.flushall();
}
await r.quit(); await server.stop();
