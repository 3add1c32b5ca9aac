--[[
  Enqueues one call, optionally under an idempotency key.
  KEYS[1] wait     LIST of envelopes
  KEYS[2] workers  ZSET worker id -> last heartbeat (ms)
  KEYS[3] sent     STRING marker of this call id, kept until its deadline: a second run of this
          script for the same call (ioredis re-sends a command whose answer a dropped
          connection lost, though Redis had applied it) changes nothing
  KEYS[4] marker   LIST that wakes parked workers (wake.lua)
  ARGV[1] raw envelope
  ARGV[2] worker ttl in ms; "0" skips the live-worker check
  ARGV[3] idempotency key ('' for none). It and its companions share the queue's hash tag:
          <key> STRING owner call id, <key>:result STRING reply, <key>:waiters LIST of followers
  ARGV[4] idempotency ttl in ms
  ARGV[5] this call's id
  ARGV[6] where this call wants its reply: "h|<replies hash>|<inbox key>", "p|<channel>" or "-";
          see deliver.lua
  ARGV[7] reply ttl in ms
  ARGV[8] inbox ttl in ms
  ARGV[9] ms to keep the sent marker (the call's timeout)
  Returns: length of the wait list; -1 when no worker sent a heartbeat within the ttl (nothing
  enqueued); 0 when this call was enqueued before (a re-sent command); -2 when the call joined an earlier call with the same key (it will get that
  result); -3 when that result was already stored and has been delivered to this call.
]]
-- @include deliver.lua
-- @include admit.lua
-- @include wake.lua
local refused = admit(KEYS[3], KEYS[2], ARGV[2], ARGV[9])
if refused then return refused end
local idem = ARGV[3]
if idem ~= '' then
  local result = redis.call('GET', idem .. ':result')
  if result then
    deliver_copy(result, ARGV[5], ARGV[6], ARGV[7], ARGV[8])
    return -3
  end
  if not redis.call('SET', idem, ARGV[5], 'NX', 'PX', ARGV[4]) then
    redis.call('RPUSH', idem .. ':waiters', ARGV[5] .. '|' .. ARGV[6])
    redis.call('PEXPIRE', idem .. ':waiters', ARGV[4])
    return -2
  end
end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
wake(KEYS[4])
return n
