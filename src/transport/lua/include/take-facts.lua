--[[
  Fragment of take-11: what is known about the candidates before any is leased, read once per
  batch, not per call.
  take_facts(items, cancelled, deliveries) -> facts:
    facts.by_id         whether ids were read; they are only when some call may be cancelled
                        or counted (rare): matching every envelope cost ~0.4 us per call
    facts.ids[i]        the id of items[i], or false (unreadable or not read)
    facts.cancelled[id] true for calls their caller cancelled (ZMSCORE cancelled)
    facts.before[key]   earlier unsettled deliveries (HMGET deliveries), by fact_key
  fact_key(facts, i, raw) -> what `before` counts items[i] under: its id, or its text when ids
    were not read (so a call that is twice in one batch still counts twice), or false.
]]
-- @include envelope.lua
local function take_facts(items, cancelled, deliveries)
  local has_cancelled = redis.call('ZCARD', cancelled) > 0
  local has_counts = redis.call('HLEN', deliveries) > 0
  local facts = { by_id = has_cancelled or has_counts, ids = {}, cancelled = {}, before = {} }
  if not facts.by_id then return facts end
  local fields = {}
  for i, raw in ipairs(items) do
    local id = envelope_id(raw)
    facts.ids[i] = id or false
    if id then fields[#fields + 1] = id end
  end
  if #fields == 0 then return facts end
  if has_cancelled then
    local scores = redis.call('ZMSCORE', cancelled, unpack(fields))
    for j, score in ipairs(scores) do
      if score then facts.cancelled[fields[j]] = true end
    end
  end
  if has_counts then
    local counts = redis.call('HMGET', deliveries, unpack(fields))
    for j, c in ipairs(counts) do facts.before[fields[j]] = tonumber(c) end
  end
  return facts
end

local function fact_key(facts, i, raw)
  return facts.ids[i] or (not facts.by_id and raw)
end
