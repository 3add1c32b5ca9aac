--[[
  Fragment: the time every script reads, from Redis' clock (never a caller's).
  now_ms() -> integer ms since epoch (TIME; scripts replicate by effects, so this is allowed)
]]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
