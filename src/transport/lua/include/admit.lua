--[[
  Fragment shared by the enqueue scripts: whether calls may be enqueued.
  admit(sent, workers, worker_ttl, sent_ttl) -> 0 when the `sent` key exists (ioredis
  re-sent a command whose answer a dropped connection lost, though Redis had applied it), -1
  when no worker sent a heartbeat within worker_ttl ms ("0" skips that check), else nil after
  setting `sent` for sent_ttl ms (the enqueued marker: enq:<call> or enq:batch:<id>).
]]
-- @include time.lua
local function admit(sent, workers, worker_ttl, sent_ttl)
  if redis.call('EXISTS', sent) == 1 then return 0 end
  local ttl = tonumber(worker_ttl)
  if ttl > 0 and redis.call('ZCOUNT', workers, now_ms() - ttl, '+inf') == 0 then return -1 end
  redis.call('SET', sent, '1', 'PX', sent_ttl)
  return nil
end
