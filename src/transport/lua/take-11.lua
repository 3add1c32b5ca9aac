--[[
  Takes up to N calls for one worker and leases them: a pipeline over the take-* fragments
  (promote and sources, facts, screen, count and quarantine, lease), each with its own header
  and tests; each fragment makes one pass over the batch (a Lua call per call and fragment was
  ~0.5 us of Redis per call).
  KEYS[1] wait        LIST of envelopes without priority or group
  KEYS[2] marker      LIST that wakes parked workers (wake.lua)
  KEYS[3] active      ZSET token -> lease expiry (ms)
  KEYS[4] bodies      HASH token -> envelope
  KEYS[5] deliveries  HASH call id -> earlier deliveries of this attempt that ended unsettled
                      (counted by maintain when it requeues an expired lease; absent = none)
  KEYS[6] seq         STRING token counter
  KEYS[7] dead        STREAM of dead letters
  KEYS[8] cancelled   ZSET call id -> deadline of calls cancelled by their caller
  KEYS[9] delayed     ZSET envelope -> when it is due (delays, retries in backoff)
  KEYS[10] prio       ZSET envelope -> when it is due (prioritized calls, route.lua)
  KEYS[11] groups     LIST the ring of fair groups with calls waiting (<base>:group:<name>)
  ARGV[1] options, one JSON object (a new option never renumbers ARGV):
          max         most calls to take
          leaseMs     lease in ms
          maxBytes    largest envelope; larger ones are set aside unread
          deadMaxLen  dead-letter stream cap (approximate)
          suspectFrom deliveries that make a call a suspect (take-quarantine.lua); 0 disables
          maySuspect  whether this worker may take a suspect now (it runs none)
          base        the queue's key base "<prefix>:{<queue>}" (keys.lua)
          agingMs     priority aging (route.lua) for calls routed here
  Returns take_lease's answer (take-lease.lua) after two fixed fields: blocked (1 if a suspect
  stopped the take) and the ms until the next delayed call is due (-1: none); then, if any call
  was leased, the token before the first and envelope, deliveries per call, where deliveries
  counts this one.
]]
-- @include time.lua
-- @include wake.lua
-- @include take-sources.lua
-- @include take-facts.lua
-- @include take-screen.lua
-- @include take-quarantine.lua
-- @include take-lease.lua
local o = cjson.decode(ARGV[1])
local now = now_ms()
local q = { base = o.base, wait = KEYS[1], prio = KEYS[10], groups = KEYS[11], delayed = KEYS[9] }
take_promote(q, now, o.max, o.agingMs)
local items, origins = take_sources(q, o.max, now)
if #items == 0 then return { 0, next_due_ms(q, now) } end

local facts = take_facts(items, KEYS[8], KEYS[5])
local verdicts = take_screen(items, facts, o.maxBytes)
local deliveries, blocked_at = take_count(items, facts, verdicts, o.suspectFrom, o.maySuspect)
-- Calls behind a stopping suspect go back as they are: a cancellation among them stays marked
-- (used up by the take that drops the call), an oversized one is set aside by that take.
local leased, dropped, dropped_raw = {}, {}, {}
for i = 1, (blocked_at or #items + 1) - 1 do
  local raw, verdict = items[i], verdicts[i]
  if not verdict then
    leased[#leased + 1] = { raw, deliveries[i] }
  elseif verdict == 'large' then
    take_set_aside(KEYS[7], o.deadMaxLen, raw, o.maxBytes, now)
  else
    -- The same id twice in one batch: the cancellation covers both.
    dropped[#dropped + 1] = facts.ids[i]
    dropped_raw[#dropped_raw + 1] = raw
  end
end
if blocked_at then take_return(q, items, origins, blocked_at) end
if #dropped > 0 then take_drop_cancelled(o.base, KEYS[8], KEYS[5], dropped, dropped_raw) end
-- Work left behind (more than this worker wanted, or a suspect it may not run): another parked
-- worker may take it. None: a token still there is stale (its calls are taken) and would cost
-- the next worker to park an empty take.
if redis.call('LLEN', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[10]) > 0 or redis.call('LLEN', KEYS[11]) > 0 then
  wake(KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
return take_lease(leased, KEYS[3], KEYS[4], KEYS[6], o.leaseMs, now, { blocked_at and 1 or 0, next_due_ms(q, now) })
