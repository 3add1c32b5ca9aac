--[[
  Takes up to N calls for one worker and leases them: a pipeline over the take-* fragments
  (limits, promote and sources, facts, screen, count and quarantine, lease), each with its own header
  and tests; each fragment makes one pass over the batch (a Lua call per call and fragment was
  ~0.5 us of Redis per call).
  KEYS[1] wait        LIST of envelopes without priority or group
  KEYS[2] marker      LIST that wakes parked workers (wake.lua)
  KEYS[3] batches     ZSET batch id -> lease expiry (ms): one lease per take (take-lease.lua)
  KEYS[4] deliveries  HASH call id -> earlier deliveries of this attempt that ended unsettled
                      (counted by maintain when it requeues an expired lease; absent = none)
  KEYS[5] seq         STRING token counter
  KEYS[6] dead        STREAM of dead letters
  KEYS[7] cancelled   ZSET call id -> deadline of calls cancelled by their caller
  KEYS[8] delayed     ZSET envelope -> when it is due (delays, retries in backoff)
  KEYS[9] prio        ZSET envelope -> when it is due (prioritized calls, route.lua)
  KEYS[10] groups     LIST the ring of fair groups with calls waiting (<base>:group:<name>)
  KEYS[11] held       ZSET scope -> when its calls set aside over a limit are looked at again
  ARGV[1] options, one JSON object (a new option never renumbers ARGV):
          max         most calls to take
          leaseMs     lease in ms
          maxBytes    largest envelope; larger ones are set aside unread
          deadMaxLen  dead-letter stream cap (approximate)
          suspectFrom deliveries that make a call a suspect (take-quarantine.lua); 0 disables
          maySuspect  whether this worker may take a suspect now (it runs none)
          base        the queue's key base "<prefix>:{<queue>}" (keys.lua)
          agingMs     priority aging (route.lua) for calls routed here
          limits      (absent without any) rate and concurrency limits, see take-limits.lua
          worker      (absent: an older worker) the taking worker's id: the batch taken
                      goes on <base>:leases:<worker> (take-lease.lua)
          cancelled   (absent without signing) the signed reply, after the call id, that a
                      detached call dropped unrun gets (take-screen.lua)
  Returns take_lease's answer (take-lease.lua) after two fixed fields: blocked (1 if a suspect
  stopped the take) and the ms until the next delayed call is due or a limit's window opens
  (-1: none); then, if any call
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
-- @include take-limits.lua
local o = cjson.decode(ARGV[1])
local now = now_ms()
local q = { base = o.base, wait = KEYS[1], prio = KEYS[9], groups = KEYS[10], delayed = KEYS[8] }
-- Before any write: a take popped calls and lost them at a built key of a migrating slot (keys.lua).
if slot_migrating(o.base) then return SLOT_MIGRATING end
local limits, state = o.limits, {}
local function next_ms()
  local a, b = next_due_ms(q, now), limits and limits_next_ms(KEYS[11], now) or -1
  if a < 0 or (b >= 0 and b < a) then return b end
  return a
end
-- Calls set aside over a limit whose window opened (or slot freed) go first: they waited longest.
local items, origins = {}, {}
if limits then
  local held, scopes = limits_reenter(o.base, limits, state, KEYS[11], now, o.max)
  for i, raw in ipairs(held) do
    items[i] = raw
    origins[i] = { scopes[i] }
  end
end
take_promote(q, now, o.max, o.agingMs)
local more, more_origins = take_sources(q, o.max - #items, now)
for i, raw in ipairs(more) do
  items[#items + 1] = raw
  origins[#items] = more_origins[i]
end
if #items == 0 then return { 0, next_ms() } end

local facts = take_facts(items, KEYS[7], KEYS[4])
local verdicts = take_screen(items, facts, o.maxBytes)
local deliveries, blocked_at = take_count(items, facts, verdicts, o.suspectFrom, o.maySuspect)
-- Calls behind a stopping suspect go back as they are: a cancellation among them stays marked
-- (used up by the take that drops the call), an oversized one is set aside by that take.
local leased, dropped, dropped_raw, leased_scopes = {}, {}, {}, {}
for i = 1, (blocked_at or #items + 1) - 1 do
  local raw, verdict = items[i], verdicts[i]
  local scopes = not verdict and limits and limit_scopes(limits, raw)
  local over = scopes and limits_admit(o.base, limits, state, scopes, now)
  if over then
    -- Over a limit: it waits under that scope, holding no worker slot.
    limits_hold(o.base, KEYS[11], limits, state, over, raw, now)
  elseif not verdict then
    leased[#leased + 1] = { raw, deliveries[i] }
    if scopes then leased_scopes[#leased] = scopes end
  elseif verdict == 'large' then
    take_set_aside(KEYS[6], o.deadMaxLen, raw, o.maxBytes, now)
  else
    -- The same id twice in one batch: the cancellation covers both.
    dropped[#dropped + 1] = facts.ids[i]
    dropped_raw[#dropped_raw + 1] = raw
  end
end
if blocked_at then take_return(q, items, origins, blocked_at) end
if #dropped > 0 then take_drop_cancelled(o.base, KEYS[7], KEYS[4], dropped, dropped_raw, o.cancelled) end
-- Work left behind (more than this worker wanted, or a suspect it may not run): another parked
-- worker may take it. None: a token still there is stale (its calls are taken) and would cost
-- the next worker to park an empty take.
if redis.call('LLEN', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[9]) > 0 or redis.call('LLEN', KEYS[10]) > 0 then
  wake(KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
local out = take_lease(leased, KEYS[3], KEYS[5], o.leaseMs, now, { blocked_at and 1 or 0, next_ms() }, o.worker and leases_key(o.base, o.worker) or '', o.base)
if next(leased_scopes) then limits_record(o.base, limits, leased_scopes, out[3] + 1, now) end
return out
