--[[
  Renews the leases of calls a worker is still running.
  KEYS[1] active  ZSET token -> lease expiry
  ARGV[1] lease in ms
  ARGV[2..] tokens
  Returns: the tokens whose lease was already gone (the worker must stop treating them as its own).
]]
-- @include time.lua
local until_ms = now_ms() + tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', until_ms, ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
