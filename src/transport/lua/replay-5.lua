--[[
  Puts a dead letter back on its queue, exactly once.
  KEYS[1] dead    STREAM of dead letters
  KEYS[2] wait    LIST of envelopes
  KEYS[3] marker  LIST that wakes parked workers (wake.lua)
  KEYS[4] prio    ZSET envelope -> when it is due (route.lua)
  KEYS[5] groups  LIST the ring of fair groups with calls waiting
  ARGV[1] stream entry id
  ARGV[2] envelope to enqueue (the stored one with a fresh deadline and attempt 1)
  ARGV[3] the queue's key base "<prefix>:{<queue>}"
  ARGV[4] priority aging in ms
  Returns: 1 if replayed, 0 if the entry was gone (replayed or purged meanwhile).
]]
-- @include keys.lua
-- @include time.lua
-- @include wake.lua
-- @include route.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(ARGV[3]) then return SLOT_MIGRATING end
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
route({ base = ARGV[3], wait = KEYS[2], prio = KEYS[4], groups = KEYS[5] }, ARGV[2], false, now_ms(), tonumber(ARGV[4]))
wake(KEYS[3])
return 1
