--[[
  Takes up to N calls for one worker and leases each under a fresh token.
  KEYS[1] wait        LIST of envelopes
  KEYS[2] claim       LIST this worker's claim list (filled by BLMOVE while idle)
  KEYS[3] active      ZSET token -> lease expiry (ms)
  KEYS[4] bodies      HASH token -> envelope
  KEYS[5] deliveries  HASH call id -> earlier deliveries of this attempt that ended unsettled
                      (counted by maintain when it requeues an expired lease; absent = none)
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
  Returns: blocked (1 if a suspect stopped the take), then (if any call was leased) the token
  before the first one (tokens are consecutive), then envelope, deliveries, ...
  where deliveries counts this one: earlier unsettled deliveries + 1.
  The call id is read with a prefix match, not a JSON parse: envelopes begin {"v":1,"id":"...".
  The work is done per batch, not per call: one read of the delivery counts (none at all while
  no call has a count, the common case), one INCRBY for all tokens, one ZADD and one HSET for all
  leases (a command per call cost ~5 us of Redis each).
]]
local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local suspectFrom = tonumber(ARGV[5])
local maySuspect = ARGV[6] == '1'

-- Candidates in queue order: this worker's claim list first (at most a call or two), then the
-- head of the wait list.
local items = redis.call('LPOP', KEYS[2], max) or {}
if #items < max then
  local more = redis.call('LPOP', KEYS[1], max - #items)
  if more then
    for _, raw in ipairs(more) do items[#items + 1] = raw end
  end
end
if #items == 0 then return { 0 } end

-- Ids are read only when a call may be cancelled or counted (rare): matching every envelope cost
-- ~0.4 us per call. Without them, a call that is twice in the batch is known by its text.
local has_cancelled = redis.call('ZCARD', KEYS[8]) > 0
local has_counts = redis.call('HLEN', KEYS[5]) > 0
local by_id = has_cancelled or has_counts
local ids = {}
local fields = {}
if by_id then
  for i, raw in ipairs(items) do
    local id = string.match(raw, '^{"v":1,"id":"([^"]+)"')
    ids[i] = id or false
    if id then fields[#fields + 1] = id end
  end
end
local cancelled = {}
if #fields > 0 and has_cancelled then
  local scores = redis.call('ZMSCORE', KEYS[8], unpack(fields))
  for j, score in ipairs(scores) do
    if score then cancelled[fields[j]] = true end
  end
end
local before = {}
if #fields > 0 and has_counts then
  local counts = redis.call('HMGET', KEYS[5], unpack(fields))
  for j, c in ipairs(counts) do before[fields[j]] = tonumber(c) end
end

local leased = {}
local dropped, dropped_raw = {}, {}
local blocked_at = nil
for i, raw in ipairs(items) do
  local id = ids[i]
  -- What `before` counts this call under: its id, or (ids unread) its envelope text.
  local key = id or (not by_id and raw)
  if #raw > maxBytes then
    redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', 'reason', 'PAYLOAD_TOO_LARGE',
      'detail', 'envelope of ' .. #raw .. ' bytes exceeds ' .. maxBytes, 'envelope', raw, 'at', tostring(now))
  elseif id and cancelled[id] then
    -- Dropped unrun. The same id twice in one batch: the cancellation covers both. Its mark is
    -- used up only here, not for calls behind a blocking suspect: those go back, still marked.
    dropped[#dropped + 1] = id
    dropped_raw[#dropped_raw + 1] = raw
  else
    local earlier = key and before[key] or 0
    if suspectFrom > 0 and earlier >= suspectFrom then
      if not maySuspect then
        blocked_at = i
        break
      end
      maySuspect = false
    end
    local n = earlier + 1
    -- The same call twice in one batch (a re-sent or replayed duplicate) counts twice.
    if key then before[key] = n end
    leased[#leased + 1] = { raw, n }
  end
end
if blocked_at then
  for j = #items, blocked_at, -1 do redis.call('LPUSH', KEYS[1], items[j]) end
end
if #dropped > 0 then
  redis.call('ZREM', KEYS[8], unpack(dropped))
  -- A dropped call's stored input (wire/keys.ts) has no reader left. Found by a text search: a
  -- rare path, and a false match only deletes a key that does not exist.
  local base = string.sub(KEYS[1], 1, -6)
  for j, id in ipairs(dropped) do
    if string.find(dropped_raw[j], '"stored":1', 1, true) then redis.pcall('UNLINK', base .. ':input:' .. id) end
  end
  -- A dropped call never settles, so nothing else would forget its delivery count.
  if redis.call('HLEN', KEYS[5]) > 0 then redis.call('HDEL', KEYS[5], unpack(dropped)) end
end

local out = { blocked_at and 1 or 0 }
if #leased == 0 then return out end
local count = #leased
local last = redis.call('INCRBY', KEYS[6], count)
local zadd, hbodies = {}, {}
local expiry = now + lease
for j = 1, count do
  local l = leased[j]
  -- %d, not tostring: tostring writes 1e+14 from there on, and the worker counts tokens itself.
  local token = string.format('%d', last - count + j)
  -- Newest token first: a small lease set is a listpack that ZADD scans from its head for the
  -- insert position, and a token below all others (same expiry) is placed at once; in token
  -- order each insert scanned past the whole batch (issue 5: ZADD was ~1.8 us per call).
  zadd[2 * (count - j) + 1] = expiry
  zadd[2 * (count - j) + 2] = token
  hbodies[2 * j - 1] = token
  hbodies[2 * j] = l[1]
  out[2 * j + 1] = l[1]
  out[2 * j + 2] = l[2]
end
out[2] = last - count
redis.call('ZADD', KEYS[3], unpack(zadd))
redis.call('HSET', KEYS[4], unpack(hbodies))
return out
