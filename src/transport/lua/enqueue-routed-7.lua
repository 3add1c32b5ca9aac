--[[
  Enqueues a batch of calls without idempotency keys that wait somewhere other than the end of
  the wait list — a delay, a priority or a fair group — in one round trip (enqueue-batch-4 is the
  same for plain calls, which need no routing).
  KEYS[1] wait     LIST of envelopes
  KEYS[2] workers  ZSET worker id -> last heartbeat (ms)
  KEYS[3] sent     STRING marker of this batch (see enqueue-batch-4.lua and admit.lua)
  KEYS[4] marker   LIST that wakes parked workers (wake.lua)
  KEYS[5] delayed  ZSET envelope -> when it is due
  KEYS[6] prio     ZSET envelope -> when it is due (prioritized calls)
  KEYS[7] groups   LIST the ring of fair groups with calls waiting
  ARGV[1] worker ttl in ms; "0" skips the live-worker check
  ARGV[2] ms to keep the sent marker (the longest delay + timeout in the batch)
  ARGV[3] priority aging in ms (route.lua)
  ARGV[4] the queue's key base "<prefix>:{<queue>}"
  ARGV[5..] pairs of: delay in ms (0: none), raw envelope; in call order (at most 500 pairs)
  Returns: 1 when enqueued; -1 when no worker sent a heartbeat within the ttl (nothing enqueued);
  0 when this batch was enqueued before (a re-sent command).
]]
-- @include keys.lua
-- @include admit.lua
-- @include wake.lua
-- @include route.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(ARGV[4]) then return SLOT_MIGRATING end
local refused = admit(KEYS[3], KEYS[2], ARGV[1], ARGV[2])
if refused then return refused end
local q = { base = ARGV[4], wait = KEYS[1], prio = KEYS[6], groups = KEYS[7] }
local now, aging = now_ms(), tonumber(ARGV[3])
for i = 5, #ARGV, 2 do
  local delay = tonumber(ARGV[i])
  if delay > 0 then
    redis.call('ZADD', KEYS[5], now + delay, ARGV[i + 1])
  else
    route(q, ARGV[i + 1], false, now, aging)
  end
end
-- For delayed calls too: a parked worker takes, learns when the first is due, and parks until then.
wake(KEYS[4])
return 1
