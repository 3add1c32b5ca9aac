--[[
  Hands calls a closing worker did not finish back to the queue. The delivery is not counted
  against them: deliveries are only counted when a lease expires (maintain-11.lua).
  KEYS[1] batches     ZSET batch id -> lease expiry (take-11.lua)
  KEYS[2] wait        LIST of envelopes
  KEYS[3] marker      LIST that wakes parked workers (wake.lua)
  KEYS[4] prio        ZSET envelope -> when it is due (route.lua)
  KEYS[5] groups      LIST the ring of fair groups with calls waiting
  ARGV[1] the queue's key base "<prefix>:{<queue>}"
  ARGV[2] priority aging in ms
  ARGV[3..] pairs: batch id, lease token of a call of that batch
  Each call goes back to the head of where it waits (route.lua), and its entry in its batch's
  list becomes '' (as a settled one's, complete-4.lua); a batch whose entries are all '' ends
  its lease. A call settled or handed back before is skipped.
  Returns: how many calls went back.
]]
-- @include time.lua
-- @include wake.lua
-- @include route.lua
-- @include slots.lua
-- @include keys.lua
-- A slot moving away: refused before any write (keys.lua), sent again once it has moved.
if slot_migrating(ARGV[1]) then return SLOT_MIGRATING end
local q = { base = ARGV[1], wait = KEYS[2], prio = KEYS[4], groups = KEYS[5] }
local now, aging = now_ms(), tonumber(ARGV[2])
local n, touched = 0, {}
for i = 3, #ARGV - 1, 2 do
  local first, token = ARGV[i], ARGV[i + 1]
  local key = batch_key(ARGV[1], first)
  local idx = tonumber(token) - tonumber(first)
  local raw = redis.call('LINDEX', key, idx)
  if raw and raw ~= '' then
    redis.call('LSET', key, idx, '')
    touched[first] = key
    free_slots(ARGV[1], token, scopes_of(raw))
    route(q, raw, true, now, aging)
    n = n + 1
  end
end
for first, key in pairs(touched) do
  if #redis.call('LPOS', key, '', 'COUNT', 0) == redis.call('LLEN', key) then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], first)
  end
end
if n > 0 then wake(KEYS[3]) end
return n
