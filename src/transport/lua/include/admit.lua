-- Shared by the enqueue scripts. Included by `-- @include admit.lua`; not a script on its own.
-- Decides whether calls may be enqueued: 0 when the marker exists (ioredis re-sent a command
-- whose answer a dropped connection lost, though Redis had applied it), -1 when no worker sent
-- a heartbeat within worker_ttl ms ("0" skips that check), else nil after setting the marker.
local function admit(marker, workers, worker_ttl, marker_ttl)
  if redis.call('EXISTS', marker) == 1 then return 0 end
  local ttl = tonumber(worker_ttl)
  if ttl > 0 then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if redis.call('ZCOUNT', workers, now - ttl, '+inf') == 0 then return -1 end
  end
  redis.call('SET', marker, '1', 'PX', marker_ttl)
  return nil
end
