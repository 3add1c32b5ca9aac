--[[
  Fires one tick of a schedule, exactly once: a compare-and-set on the schedule's next tick. The
  worker read the schedule (schedule-due-2.lua), computed the tick's call and the next tick in
  JavaScript (cron), and sends both here. Only the first run for a tick finds the tick and the
  revision it was computed from; it pushes the call and moves the tick on in one step. Another
  worker's run for the same tick, a re-sent command, or a run computed from a record that was
  replaced since does nothing. A worker that dies before this runs has changed nothing, so the
  next worker fires the tick.
  KEYS[1] schedules  HASH schedule id -> record
  KEYS[2] ticks      ZSET schedule id -> next tick (ms)
  KEYS[3] wait       LIST of envelopes
  KEYS[4] marker     LIST that wakes parked workers (wake.lua)
  KEYS[5] prio       ZSET envelope -> when it is due (route.lua)
  KEYS[6] groups     LIST the ring of fair groups with calls waiting
  ARGV[1] schedule id
  ARGV[2] the revision of the record the call was computed from
  ARGV[3] the tick it was computed for: the schedule's next tick as read
  ARGV[4] the schedule's next tick after this one (ms)
  ARGV[5] the call envelope, or '' to move the tick on without a call (a missed tick skipped)
  ARGV[6] the queue's key base "<prefix>:{<queue>}"
  ARGV[7] priority aging in ms (route.lua)
  Returns: 1 fired, 2 moved on without a call, 0 nothing done (not this tick or revision, not due,
  or removed)
]]
-- @include keys.lua
-- @include time.lua
-- @include wake.lua
-- @include route.lua
-- @include schedule-head.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(ARGV[6]) then return SLOT_MIGRATING end
local id = ARGV[1]
local score = redis.call('ZSCORE', KEYS[2], id)
if not score or tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
local now = now_ms()
if tonumber(score) > now then return 0 end
local record = redis.call('HGET', KEYS[1], id)
if not record or schedule_head(record) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], ARGV[4], id)
if ARGV[5] == '' then return 2 end
route({ base = ARGV[6], wait = KEYS[3], prio = KEYS[5], groups = KEYS[6] }, ARGV[5], false, now, tonumber(ARGV[7]))
wake(KEYS[4])
return 1
