--[[
  Enqueues a batch of calls that carry no idempotency key, in one round trip.
  KEYS[1] wait     LIST of envelopes
  KEYS[2] workers  ZSET worker id -> last heartbeat (ms)
  KEYS[3] sent     STRING marker of this batch (a fresh id per batch), kept until the longest
          deadline in it: a second run of this script for the same batch (ioredis re-sends a
          command whose answer a dropped connection lost) changes nothing; see admit.lua
  KEYS[4] marker   LIST that wakes parked workers (wake.lua)
  ARGV[1] worker ttl in ms; "0" skips the live-worker check
  ARGV[2] ms to keep the sent marker (the longest timeout in the batch)
  ARGV[3..] raw envelopes, in call order (at most 1000: unpack() is bounded by Lua's C stack)
  Returns: length of the wait list; -1 when no worker sent a heartbeat within the ttl (nothing
  enqueued); 0 when this batch was enqueued before (a re-sent command).
]]
-- @include admit.lua
-- @include wake.lua
local refused = admit(KEYS[3], KEYS[2], ARGV[1], ARGV[2])
if refused then return refused end
local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
wake(KEYS[4])
return n
