--[[
  Puts a dead letter back on its queue, exactly once.
  KEYS[1] dead    STREAM of dead letters
  KEYS[2] wait    LIST of envelopes
  KEYS[3] marker  LIST that wakes parked workers (wake.lua)
  ARGV[1] stream entry id
  ARGV[2] envelope to enqueue (the stored one with a fresh deadline and attempt 1)
  Returns: 1 if replayed, 0 if the entry was gone (replayed or purged meanwhile).
]]
-- @include wake.lua
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[2])
wake(KEYS[3])
return 1
