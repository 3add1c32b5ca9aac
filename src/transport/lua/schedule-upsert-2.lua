--[[
  Creates or replaces a schedule: its record and its next tick, together.
  KEYS[1] schedules  HASH schedule id -> record
  KEYS[2] ticks      ZSET schedule id -> next tick (ms)
  ARGV[1] schedule id
  ARGV[2] the record (schedule-record.ts), checked by the caller
  ARGV[3] its first tick (ms), computed by the caller from Redis' clock
  ARGV[4] the queue's schedule channel: the schedule id is published there, so workers look
          at once instead of at their next check (a new schedule's first tick may come sooner)
  ARGV[5] 's' to publish it with SPUBLISH (sharded pub/sub: the channel is on the queue's shard)
  An update whose timing key is unchanged keeps the schedule's next tick (processes that upsert
  the same schedule at every start never shift its ticks, nor restart an interval that would
  then never come round) and its creation time; any other update takes ARGV[3].
  Returns: { 1 created | 0 replaced, the next tick, the creation time }
]]
-- @include schedule-head.lua
local id, record = ARGV[1], ARGV[2]
local _, timing, created = schedule_head(record)
if not timing then return redis.error_reply('ERR not a schedule record') end
local tick = tonumber(ARGV[3])
local fresh = 1
local old = redis.call('HGET', KEYS[1], id)
if old then
  fresh = 0
  local _, old_timing, old_created = schedule_head(old)
  local kept = redis.call('ZSCORE', KEYS[2], id)
  if kept and old_timing == timing then tick = tonumber(kept) end
  if old_created then
    created = old_created
    record = (string.gsub(record, '^({"v":1,"rev":"[^"]*","timing":"[^"]*","created":)%d+', '%1' .. old_created, 1))
  end
end
redis.call('HSET', KEYS[1], id, record)
redis.call('ZADD', KEYS[2], tick, id)
redis.call(ARGV[5] == 's' and 'SPUBLISH' or 'PUBLISH', ARGV[4], id)
return { fresh, tick, tonumber(created) }
