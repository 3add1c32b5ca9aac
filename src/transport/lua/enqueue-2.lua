--[[
  Enqueues one call.
  KEYS[1] wait     LIST of envelopes
  KEYS[2] workers  ZSET worker id -> last heartbeat (ms)
  ARGV[1] raw envelope
  ARGV[2] worker ttl in ms; "0" skips the live-worker check
  Returns: length of the wait list, or -1 when no worker sent a heartbeat within the ttl
  (nothing is enqueued then).
]]
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if redis.call('ZCOUNT', KEYS[2], now - ttl, '+inf') == 0 then
    return -1
  end
end
return redis.call('RPUSH', KEYS[1], ARGV[1])
