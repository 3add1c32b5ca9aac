--[[
  Takes up to N calls for one worker and leases each under a fresh token.
  KEYS[1] wait        LIST of envelopes
  KEYS[2] claim       LIST this worker's claim list (filled by BLMOVE while idle)
  KEYS[3] active      ZSET token -> lease expiry (ms)
  KEYS[4] bodies      HASH token -> envelope
  KEYS[5] deliveries  HASH call id -> deliveries so far
  KEYS[6] seq         STRING token counter
  KEYS[7] dead        STREAM of dead letters
  KEYS[8] cancelled   ZSET call id -> deadline of calls cancelled by their caller
  ARGV[1] max calls to take
  ARGV[2] lease in ms
  ARGV[3] max envelope size in bytes (larger ones are dead-lettered unread)
  ARGV[4] dead-letter stream max length (approximate)
  ARGV[5] suspect threshold: a call delivered at least this many times before without being
          settled (its workers died or froze with it) is a suspect; 0 disables
  ARGV[6] '1' if this worker may take a suspect now (it runs none), else '0'
  Cancelled calls are dropped here, unrun.
  At most one suspect per worker at a time: a crash it causes then charges no other suspect, so
  calls that merely shared a batch with a poison call are not dead-lettered with it. A suspect
  that cannot be taken goes back to the head with everything behind it, and taking stops.
  Returns: blocked (1 if a suspect stopped the take), then token, envelope, deliveries, ...
  The call id is read with a prefix match, not a JSON parse: envelopes begin {"v":1,"id":"...".
]]
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local suspectFrom = tonumber(ARGV[5])
local maySuspect = ARGV[6] == '1'
local out = { 0 }
local taken = 0
local blocked = false
local any_cancelled = redis.call('ZCARD', KEYS[8]) > 0

local function lease_one(raw)
  if #raw > maxBytes then
    redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', 'reason', 'PAYLOAD_TOO_LARGE',
      'detail', 'envelope of ' .. #raw .. ' bytes exceeds ' .. maxBytes, 'envelope', raw, 'at', tostring(now))
    return
  end
  local n = 1
  local id = string.match(raw, '^{"v":1,"id":"([^"]+)"')
  if id and any_cancelled and redis.call('ZREM', KEYS[8], id) == 1 then return end
  if id and suspectFrom > 0 and (tonumber(redis.call('HGET', KEYS[5], id)) or 0) >= suspectFrom then
    if not maySuspect then
      blocked = true
      return
    end
    maySuspect = false
  end
  if id then n = redis.call('HINCRBY', KEYS[5], id, 1) end
  local token = tostring(redis.call('INCR', KEYS[6]))
  redis.call('ZADD', KEYS[3], now + lease, token)
  redis.call('HSET', KEYS[4], token, raw)
  out[#out + 1] = token
  out[#out + 1] = raw
  out[#out + 1] = n
  taken = taken + 1
end

while taken < max do
  local raw = redis.call('LPOP', KEYS[2])
  if not raw then break end
  lease_one(raw)
  if blocked then
    redis.call('LPUSH', KEYS[1], raw)
    break
  end
end
if taken < max and not blocked then
  local items = redis.call('LPOP', KEYS[1], max - taken)
  if items then
    for i, raw in ipairs(items) do
      lease_one(raw)
      if blocked then
        for j = #items, i, -1 do redis.call('LPUSH', KEYS[1], items[j]) end
        break
      end
    end
  end
end
if blocked then out[1] = 1 end
return out
