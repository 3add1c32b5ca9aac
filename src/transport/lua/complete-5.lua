--[[
  Settles a batch of leased calls: writes each reply, retries or dead-letters, and releases the
  lease. A call whose lease token is gone (reaped and handed to another worker) is skipped
  whole: its late result is dropped, which is what fences a worker that lost its lease.
  KEYS[1] active      ZSET token -> lease expiry
  KEYS[2] bodies      HASH token -> envelope
  KEYS[3] deliveries  HASH call id -> deliveries
  KEYS[4] dead        STREAM of dead letters
  KEYS[5] delayed     ZSET envelope -> time it may run again
  ARGV[1] inbox ttl in ms
  ARGV[2] dead-letter stream max length (approximate)
  ARGV[3] reply ttl for idempotency followers in ms
  ARGV[4..] groups of 10:
    token, call id,
    action  'k' reply to key+inbox | 'p' publish | '-' no reply | 'r' retry later
    target  reply key | channel | '' | delay in ms (for 'r')
    inbox   inbox list key (for 'k')
    payload reply envelope | new envelope (for 'r')
    ttl     reply key ttl in ms
    dead    '' or a dead-letter reason; the stored envelope goes to the dead stream
    idem    '' or the call's idempotency key: the reply is stored for later callers with the
            same key and copied to the ones already waiting (see enqueue-3.lua)
    idemTtl ms to keep that stored reply
  Returns: array with 1 (settled) or 0 (lease lost, dropped) per call.
  Reply keys and inbox keys share the queue's hash tag, so all keys live in one slot.
]]
-- @include deliver.lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local res = {}
-- Each inbox's ttl is renewed once per batch, not once per reply.
local inboxes = {}
for i = 4, #ARGV, 10 do
  local token, id, action = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local target, inbox, payload, ttl, dead = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  local idem, idem_ttl = ARGV[i + 8], ARGV[i + 9]
  if redis.call('ZREM', KEYS[1], token) == 0 then
    res[#res + 1] = 0
  else
    local raw = redis.call('HGET', KEYS[2], token)
    redis.call('HDEL', KEYS[2], token)
    -- Keyed by what take-8.lua counted (the envelope's id prefix), not by what the worker could
    -- decode: a malformed message with a readable id would otherwise leave its counter behind.
    local counted = raw and string.match(raw, '^{"v":1,"id":"([^"]+)"')
    if counted then redis.call('HDEL', KEYS[3], counted) end
    if dead ~= '' then
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 'reason', dead, 'id', id,
        'envelope', raw or '', 'error', payload, 'at', tostring(now))
    end
    if action == 'k' then
      redis.call('SET', target, payload, 'PX', ttl)
      redis.call('RPUSH', inbox, id)
      inboxes[inbox] = true
    elseif action == 'p' then
      redis.call('PUBLISH', target, payload)
    elseif action == 'r' then
      redis.call('ZADD', KEYS[5], now + tonumber(target), payload)
    end
    if idem ~= '' and action ~= 'r' and payload ~= '' then
      redis.call('SET', idem .. ':result', payload, 'PX', idem_ttl)
      local waiters = redis.call('LRANGE', idem .. ':waiters', 0, -1)
      for _, w in ipairs(waiters) do
        local fid, spec = string.match(w, '^([^|]+)|(.*)$')
        if fid then deliver_copy(payload, fid, spec, ARGV[3], ARGV[1]) end
      end
      redis.call('DEL', idem .. ':waiters')
    end
    res[#res + 1] = 1
  end
end
for inbox in pairs(inboxes) do redis.call('PEXPIRE', inbox, ARGV[1]) end
return res
