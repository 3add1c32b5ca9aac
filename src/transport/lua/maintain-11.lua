--[[
  Periodic upkeep any worker of a queue runs: heartbeat, then recovery.
  KEYS[1] active      ZSET token -> lease expiry
  KEYS[2] bodies      HASH token -> envelope
  KEYS[3] wait        LIST of envelopes
  KEYS[4] workers     ZSET worker id -> last heartbeat
  KEYS[5] delayed     ZSET envelope -> time it may run again
  KEYS[6] cancelled   ZSET call id -> deadline; entries past their deadline are pruned
  KEYS[7] deliveries  HASH call id -> earlier unsettled deliveries: an expired lease is one
  KEYS[8] marker      LIST that wakes parked workers (wake.lua)
  KEYS[9] prio        ZSET envelope -> when it is due (route.lua)
  KEYS[10] groups     LIST the ring of fair groups with calls waiting
  KEYS[11] batches    ZSET batch id -> lease expiry: a taken batch's lease (take-11.lua), its
                      calls' envelopes on <base>:batch:<id> ('' for those settled already)
  ARGV[1] this worker's id
  ARGV[2] worker ttl in ms (a worker silent that long is gone: its heartbeat entry is removed)
  ARGV[3] max items to move per kind
  ARGV[4] '1' to record a heartbeat, '0' to leave (worker closing)
  ARGV[5] the queue's key base "<prefix>:{<queue>}"
  ARGV[6] priority aging in ms (route.lua)
  ARGV[7] the leases this worker holds on the queue now, comma-separated ('' none): "b<id>" per
          batch (an older worker sent lease tokens)
  Returns: { expired leases requeued, gone workers forgotten, delayed calls promoted }
  Both kinds of lease are recovered: per call (`active` and `bodies`, an older worker's) and per
  batch (`batches`). Requeued calls go to the head of where they wait (route.lua): they have
  waited longest. Due
  delayed calls go to the tail; takes promote them too (take-sources.lua), this is the backstop.
]]
-- @include time.lua
-- @include envelope.lua
-- @include wake.lua
-- @include route.lua
-- @include slots.lua
-- @include keys.lua
-- A slot moving away: refused before any write (keys.lua), sent again once it has moved.
if slot_migrating(ARGV[5]) then return SLOT_MIGRATING end
local now = now_ms()
local q = { base = ARGV[5], wait = KEYS[3], prio = KEYS[9], groups = KEYS[10] }
local aging = tonumber(ARGV[6])
local limit = tonumber(ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[4], now, ARGV[1])
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
-- This worker's record of what it may hold starts again from what it holds now (ARGV[7]:
-- its tokens on this queue, comma-separated); takes append their ranges until the next tick.
-- Always there while the worker lives ('-' when it holds nothing): takes append with RPUSHX, so
-- a take that lands after a closing worker's last tick leaves no record behind.
local mine = leases_key(ARGV[5], ARGV[1])
redis.call('DEL', mine)
if ARGV[4] == '1' then
  redis.call('RPUSH', mine, (ARGV[7] and ARGV[7] ~= '') and ARGV[7] or '-')
  redis.call('PEXPIRE', mine, 3 * tonumber(ARGV[2]))
end
-- A gone worker's leases (its record, above) expire now, and come back below at once: a
-- SIGKILLed worker's calls wait for its heartbeat's ttl, not for their whole lease. A token
-- settled since is not in `active` any more (ZADD XX skips it).
local gone_ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[2]))
local gone = #gone_ids
if gone > 0 then
  redis.call('ZREM', KEYS[4], unpack(gone_ids))
  for _, w in ipairs(gone_ids) do
    local record = leases_key(ARGV[5], w)
    for _, entry in ipairs(redis.call('LRANGE', record, 0, -1)) do
      local first, last = string.match(entry, '^(%d+)-(%d+)$')
      if string.sub(entry, 1, 1) == 'b' then
        for id in string.gmatch(entry, 'b(%d+)') do redis.call('ZADD', KEYS[11], 'XX', now, id) end
      elseif first then
        for t = tonumber(first), tonumber(last) do redis.call('ZADD', KEYS[1], 'XX', now, string.format('%d', t)) end
      else
        for t in string.gmatch(entry, '[^,]+') do redis.call('ZADD', KEYS[1], 'XX', now, t) end
      end
    end
    redis.call('DEL', record)
  end
end

local requeued = 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
-- Last first: each LPUSH goes in front of the one before, so they keep their order at the head.
for i = #expired, 1, -1 do
  local token = expired[i]
  local raw = redis.call('HGET', KEYS[2], token)
  redis.call('ZREM', KEYS[1], token)
  redis.call('HDEL', KEYS[2], token)
  if raw then
    -- The only place deliveries are counted: a lease that expired is a delivery that ended
    -- without a settle (the worker died, froze, or lost Redis). take-11.lua reads the count.
    local id = envelope_id(raw)
    if id then redis.call('HINCRBY', KEYS[7], id, 1) end
    -- The lease ended: so did any concurrency slot it held (a SIGKILLed worker's slot comes back here).
    free_slots(ARGV[5], token, scopes_of(raw))
    route(q, raw, true, now, aging)
    requeued = requeued + 1
  end
end

-- A batch's calls that were not settled (their entries are not '') come back; the ones settled
-- already are not run again (issue 20: duplicates after a crash stay within the unfinished calls).
local expired_batches = redis.call('ZRANGEBYSCORE', KEYS[11], '-inf', now, 'LIMIT', 0, limit)
for b = #expired_batches, 1, -1 do
  local first = expired_batches[b]
  local key = batch_key(ARGV[5], first)
  local entries = redis.call('LRANGE', key, 0, -1)
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[11], first)
  for idx = #entries, 1, -1 do
    local raw = entries[idx]
    if raw ~= '' then
      local id = envelope_id(raw)
      if id then redis.call('HINCRBY', KEYS[7], id, 1) end
      free_slots(ARGV[5], string.format('%d', tonumber(first) + idx - 1), scopes_of(raw))
      route(q, raw, true, now, aging)
      requeued = requeued + 1
    end
  end
end

local promoted = 0
local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, limit)
for _, raw in ipairs(due) do
  redis.call('ZREM', KEYS[5], raw)
  route(q, raw, false, now, aging)
  promoted = promoted + 1
end
if requeued + promoted > 0 then wake(KEYS[8]) end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
return { requeued, gone, promoted }
