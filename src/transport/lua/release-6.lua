--[[
  Hands calls a closing worker did not finish back to the queue. The delivery is not counted
  against them: deliveries are only counted when a lease expires (maintain-10.lua).
  KEYS[1] active      ZSET token -> lease expiry
  KEYS[2] bodies      HASH token -> envelope
  KEYS[3] wait        LIST of envelopes
  KEYS[4] marker      LIST that wakes parked workers (wake.lua)
  KEYS[5] prio        ZSET envelope -> when it is due (route.lua)
  KEYS[6] groups      LIST the ring of fair groups with calls waiting
  ARGV[1] the queue's key base "<prefix>:{<queue>}"
  ARGV[2] priority aging in ms
  ARGV[3..] tokens
  Each call goes back to the head of where it waits (route.lua).
  Returns: how many calls went back.
]]
-- @include time.lua
-- @include wake.lua
-- @include route.lua
-- @include slots.lua
local q = { base = ARGV[1], wait = KEYS[3], prio = KEYS[5], groups = KEYS[6] }
local now, aging = now_ms(), tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  local token = ARGV[i]
  if redis.call('ZREM', KEYS[1], token) == 1 then
    local raw = redis.call('HGET', KEYS[2], token)
    redis.call('HDEL', KEYS[2], token)
    if raw then
      free_slots(ARGV[1], token, scopes_of(raw))
      route(q, raw, true, now, aging)
      n = n + 1
    end
  end
end
if n > 0 then wake(KEYS[4]) end
return n
