--[[
  Takes up to N calls for one worker and leases them: a pipeline over the take-* fragments
  (candidates, facts, screen, quarantine, lease), each with its own header and tests.
  KEYS[1] wait        LIST of envelopes (the one source list; priorities and groups add more)
  KEYS[2] marker      LIST that wakes parked workers (wake.lua)
  KEYS[3] active      ZSET token -> lease expiry (ms)
  KEYS[4] bodies      HASH token -> envelope
  KEYS[5] deliveries  HASH call id -> earlier deliveries of this attempt that ended unsettled
                      (counted by maintain when it requeues an expired lease; absent = none)
  KEYS[6] seq         STRING token counter
  KEYS[7] dead        STREAM of dead letters
  KEYS[8] cancelled   ZSET call id -> deadline of calls cancelled by their caller
  ARGV[1] options, one JSON object (a new option never renumbers ARGV):
          max         most calls to take
          leaseMs     lease in ms
          maxBytes    largest envelope; larger ones are set aside unread
          deadMaxLen  dead-letter stream cap (approximate)
          suspectFrom deliveries that make a call a suspect (take-quarantine.lua); 0 disables
          maySuspect  whether this worker may take a suspect now (it runs none)
          base        the queue's key base "<prefix>:{<queue>}" (keys.lua)
  Returns take_lease's answer (take-lease.lua): blocked (1 if a suspect stopped the take), then,
  if any call was leased, the token before the first and envelope, deliveries per call, where
  deliveries counts this one.
]]
-- @include time.lua
-- @include wake.lua
-- @include take-facts.lua
-- @include take-screen.lua
-- @include take-quarantine.lua
-- @include take-lease.lua
local o = cjson.decode(ARGV[1])
local now = now_ms()
-- Candidates in queue order.
local items = redis.call('LPOP', KEYS[1], o.max) or {}
if #items == 0 then return { 0 } end

local facts = take_facts(items, KEYS[8], KEYS[5])
local q = quarantine(o.suspectFrom, o.maySuspect)
local leased, dropped, dropped_raw = {}, {}, {}
local blocked_at = nil
for i, raw in ipairs(items) do
  local id = facts.ids[i]
  local verdict = take_screen(raw, id, facts, o.maxBytes)
  if verdict == 'large' then
    take_set_aside(KEYS[7], o.deadMaxLen, raw, o.maxBytes, now)
  elseif verdict == 'cancelled' then
    -- The same id twice in one batch: the cancellation covers both. Its mark is used up only
    -- here, not for calls behind a blocking suspect: those go back, still marked.
    dropped[#dropped + 1] = id
    dropped_raw[#dropped_raw + 1] = raw
  else
    local key = fact_key(facts, i, raw)
    local earlier = key and facts.before[key] or 0
    if not quarantine_admit(q, earlier) then
      blocked_at = i
      break
    end
    -- The same call twice in one batch (a re-sent or replayed duplicate) counts twice.
    if key then facts.before[key] = earlier + 1 end
    leased[#leased + 1] = { raw, earlier + 1 }
  end
end
if blocked_at then quarantine_return(KEYS[1], items, blocked_at) end
if #dropped > 0 then take_drop_cancelled(o.base, KEYS[8], KEYS[5], dropped, dropped_raw) end
-- Work left behind (more than this worker wanted, or a suspect it may not run): another parked
-- worker may take it. None: a token still there is stale (its calls are taken) and would cost
-- the next worker to park an empty take.
if redis.call('LLEN', KEYS[1]) > 0 then wake(KEYS[2]) else redis.call('DEL', KEYS[2]) end
return take_lease(leased, KEYS[3], KEYS[4], KEYS[6], o.leaseMs, now, blocked_at and 1 or 0)
