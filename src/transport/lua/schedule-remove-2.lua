--[[
  Removes a schedule: its record and its next tick, together. Calls it fired already are
  ordinary calls and stay queued.
  KEYS[1] schedules  HASH schedule id -> record
  KEYS[2] ticks      ZSET schedule id -> next tick (ms)
  ARGV[1] schedule id
  Returns: 1 removed, 0 there was none
]]
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
