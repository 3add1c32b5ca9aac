--[[
  Enqueues one call, optionally under an idempotency key.
  KEYS[1] wait     LIST of envelopes
  KEYS[2] workers  ZSET worker id -> last heartbeat (ms)
  KEYS[3] sent     STRING marker of this call id, kept until its deadline: a second run of this
          script for the same call (ioredis re-sends a command whose answer a dropped
          connection lost, though Redis had applied it) changes nothing
  KEYS[4] marker   LIST that wakes parked workers (wake.lua)
  KEYS[5] delayed  ZSET envelope -> when it is due
  KEYS[6] prio     ZSET envelope -> when it is due (prioritized calls, route.lua)
  KEYS[7] groups   LIST the ring of fair groups with calls waiting
  ARGV[1] raw envelope
  ARGV[2] worker ttl in ms; "0" skips the live-worker check
  ARGV[3] idempotency key ('' for none). It and its companions share the queue's hash tag:
          <key> STRING "<input hash>|<owner call id>", <key>:result STRING reply,
          <key>:waiters LIST of followers
  ARGV[4] idempotency ttl in ms
  ARGV[5] this call's id
  ARGV[6] where this call wants its reply: "h|<replies hash>|<inbox key>", "p|<channel>" or "-";
          see deliver.lua
  ARGV[7] reply ttl in ms
  ARGV[8] inbox ttl in ms
  ARGV[9] ms to keep the sent marker (the call's timeout)
  ARGV[10] hash of the call's task and input ('' skips the check): a key reused with another
          input is a conflict, not a copy of the first call's result
  ARGV[11] delay in ms ('' or 0: none): the call waits in `delayed` until due
  ARGV[12] priority aging in ms (route.lua)
  ARGV[13] the queue's key base "<prefix>:{<queue>}"
  ARGV[14] '' or the status HASH of a detached call (<base>:run:<id>): written here (state waiting
          or delayed, task, attempt 1), kept as long as its outcome (the idempotency ttl)
  Where the call waits follows its envelope's priority and group (route.lua).
  Returns: 1 when enqueued; -1 when no worker sent a heartbeat within the ttl (nothing
  enqueued); 0 when this call was enqueued before (a re-sent command); -2 when the call joined
  an earlier call with the same key (it will get that result); -3 when that result was already
  stored and has been delivered to this call; -4 when the key is held by a call with another
  input (nothing written, so a re-sent command answers -4 again).
]]
-- @include keys.lua
-- @include deliver.lua
-- @include admit.lua
-- @include wake.lua
-- @include route.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(ARGV[13]) then return SLOT_MIGRATING end
local idem, hash = ARGV[3], ARGV[10]
local owner = idem ~= '' and redis.call('GET', idem)
if owner and hash ~= '' then
  local held = string.match(owner, '^([^|]*)|')
  if held and held ~= '' and held ~= hash then return -4 end
end
local refused = admit(KEYS[3], KEYS[2], ARGV[2], ARGV[9])
if refused then return refused end
if idem ~= '' then
  -- complete-4 keeps the owner key as long as the stored result, so no owner means no result.
  if owner then
    local result = redis.call('GET', idem .. ':result')
    if result then
      deliver_copy(result, ARGV[5], ARGV[6], ARGV[7], ARGV[8])
      return -3
    end
    redis.call('RPUSH', idem .. ':waiters', ARGV[5] .. '|' .. ARGV[6])
    redis.call('PEXPIRE', idem .. ':waiters', ARGV[4])
    return -2
  end
  redis.call('SET', idem, hash .. '|' .. ARGV[5], 'PX', ARGV[4])
end
local delay = tonumber(ARGV[11]) or 0
local now = now_ms()
if delay > 0 then
  redis.call('ZADD', KEYS[5], now + delay, ARGV[1])
else
  route({ base = ARGV[13], wait = KEYS[1], prio = KEYS[6], groups = KEYS[7] }, ARGV[1], false, now, tonumber(ARGV[12]))
end
if ARGV[14] ~= '' then
  redis.call('HSET', ARGV[14], 'state', delay > 0 and 'delayed' or 'waiting', 'task', envelope_task(ARGV[1]) or '', 'attempt', 1, 'at', now)
  redis.call('PEXPIRE', ARGV[14], ARGV[4])
end
-- Also for a delayed call: a parked worker takes, learns when it is due, and parks until then.
wake(KEYS[4])
return 1
