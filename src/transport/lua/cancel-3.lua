--[[
  Cancels a call. A call still waiting is withdrawn; otherwise its id is remembered until its
  deadline (take skips it, a pending retry is dropped when taken) and announced to the workers,
  which abort the running handler's ctx.signal.
  KEYS[1] wait       LIST of envelopes
  KEYS[2] cancelled  ZSET call id -> deadline (ms)
  KEYS[3] deliveries HASH call id -> earlier unsettled deliveries: a withdrawn call's count goes
  ARGV[1] raw envelope as sent
  ARGV[2] call id
  ARGV[3] deadline (ms)
  ARGV[4] cancel channel
  Returns: 1 if withdrawn from the wait list, 0 if announced.
]]
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 1
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 0
