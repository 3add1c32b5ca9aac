--[[
  What a worker's schedule check reads, by Redis' clock (never a worker's): the schedules whose
  tick has come, with their records, and when the next one comes. On a queue without schedules
  it reads two empty keys.
  KEYS[1] schedules  HASH schedule id -> record
  KEYS[2] ticks      ZSET schedule id -> next tick (ms)
  ARGV[1] most schedules to return
  Returns: { now (ms), the earliest tick after now or -1, then per due schedule: id, its tick,
  its record ('' if it has none) }, earliest tick first
]]
-- @include time.lua
local now = now_ms()
local out = { now, -1 }
local upcoming = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if upcoming[2] then out[2] = upcoming[2] end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
for i = 1, #due, 2 do
  out[#out + 1] = due[i]
  out[#out + 1] = due[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[1], due[i]) or ''
end
return out
