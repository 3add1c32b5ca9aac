import { describe, expect, it } from 'vitest';
import { ReplyError } from 'ioredis';
import { refusedUnrun, retryRefusedUnrun } from '../../src/transport/cluster-redirects.js';

/** Which Cluster errors prove a script was not run (so it may be sent again), without Redis. */
describe('refusedUnrun', () => {
  it('knows the refusals Redis makes before running a command', () => {
    for (const m of ['MOVED 5718 127.0.0.1:7001', 'ASK 5718 127.0.0.1:7001', 'TRYAGAIN Multiple keys request during rehashing of slot', 'CLUSTERDOWN The cluster is down']) {
      expect(refusedUnrun(new ReplyError(m)), m).toBe(true);
    }
    expect(refusedUnrun(new Error('All keys in the pipeline should belong to the same slots allocation group'))).toBe(true);
    expect(refusedUnrun(new Error('Too many Cluster redirections. Last error: ReplyError: TRYAGAIN Multiple keys request during rehashing of slot'))).toBe(true);
  });

  it('never takes an error after which the script may have run for a refusal', () => {
    expect(refusedUnrun(new Error('Connection is closed.'))).toBe(false);
    expect(refusedUnrun(new Error('Too many Cluster redirections. Last error: Error: Connection is closed.'))).toBe(false);
    expect(refusedUnrun(new ReplyError('ERR Script attempted to access a non local key in a cluster node script: abc'))).toBe(false);
    expect(refusedUnrun(new ReplyError('BUSY Redis is busy running a script'))).toBe(false);
    expect(refusedUnrun('MOVED 1 x:1')).toBe(false);
  });

  it('sends again while refused, and passes any other error on at once', async () => {
    let sent = 0;
    expect(await retryRefusedUnrun(async () => (++sent < 3 ? Promise.reject(new ReplyError('TRYAGAIN x')) : 'ran'))).toBe('ran');
    expect(sent).toBe(3);
    sent = 0;
    await expect(retryRefusedUnrun(async () => (++sent, Promise.reject(new Error('Connection is closed.'))))).rejects.toThrow('Connection is closed.');
    expect(sent).toBe(1);
  });
});
