--[[
  Hands calls a closing worker did not finish back to the queue. The delivery is not counted
  against them: deliveries are only counted when a lease expires (maintain-8.lua).
  KEYS[1] active      ZSET token -> lease expiry
  KEYS[2] bodies      HASH token -> envelope
  KEYS[3] wait        LIST of envelopes
  KEYS[4] marker      LIST that wakes parked workers (wake.lua)
  ARGV[1..] tokens
  Returns: how many calls went back.
]]
-- @include wake.lua
local n = 0
for i = 1, #ARGV do
  local token = ARGV[i]
  if redis.call('ZREM', KEYS[1], token) == 1 then
    local raw = redis.call('HGET', KEYS[2], token)
    redis.call('HDEL', KEYS[2], token)
    if raw then
      redis.call('LPUSH', KEYS[3], raw)
      n = n + 1
    end
  end
end
if n > 0 then wake(KEYS[4]) end
return n
