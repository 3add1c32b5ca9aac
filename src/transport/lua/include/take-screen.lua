--[[
  Fragment of take-11: calls that must not be leased.
  take_screen(items, facts, max_bytes) -> verdicts: verdicts[i] is 'large' (over the size limit:
    set aside unread) or 'cancelled' (its caller cancelled it: dropped unrun); nil where the call
    may be leased. One pass over the batch, no call per item.
  take_set_aside(dead, dead_max_len, raw, max_bytes, now): the dead letter of a 'large' call
  take_drop_cancelled(base, cancelled, deliveries, ids, raws, tail): uses up the cancellations
    of dropped calls, deletes their stored inputs (nobody will read them) and forgets their
    delivery counts (a dropped call never settles, so nothing else would); a detached call
    (idempotency key run:<id>) gets CANCELLED as its outcome, for whoever follows it: `tail`
    after its id (a signed one from the worker), else CANCELLED_UNRUN_TAIL (envelope.lua)
]]
-- @include keys.lua
-- @include deliver.lua

--[[ A detached call dropped unrun: its outcome, as a worker would have stored it (complete-4). ]]
local function settle_dropped_run(base, id, raw, tail)
  local ttl = tonumber(string.match(raw, '"idemTtl":(%d+)'))
  if not ttl or not string.find(raw, '"idem":"run:', 1, true) then return end
  local idem = base .. ':idem:run:' .. id
  if redis.call('EXISTS', idem .. ':result') == 1 then return end
  if not tail or tail == '' then tail = CANCELLED_UNRUN_TAIL end
  local reply = ENVELOPE_PREFIX .. id .. tail
  redis.call('SET', idem .. ':result', reply, 'PX', ttl)
  redis.call('PEXPIRE', idem, ttl)
  -- The reply and inbox ttls are the protocol's defaults (src/wire/protocol.ts).
  deliver_to_waiters(idem, reply, 60000, 300000)
  redis.call('HDEL', base .. ':run:' .. id, 'state')
end
local function take_screen(items, facts, max_bytes)
  local verdicts = {}
  local ids, cancelled = facts.ids, facts.cancelled
  for i, raw in ipairs(items) do
    if #raw > max_bytes then
      verdicts[i] = 'large'
    elseif facts.by_id then
      local id = ids[i]
      if id and cancelled[id] then verdicts[i] = 'cancelled' end
    end
  end
  return verdicts
end

local function take_set_aside(dead, dead_max_len, raw, max_bytes, now)
  redis.call('XADD', dead, 'MAXLEN', '~', dead_max_len, '*', 'reason', 'PAYLOAD_TOO_LARGE',
    'detail', 'envelope of ' .. #raw .. ' bytes exceeds ' .. max_bytes, 'envelope', raw, 'at', tostring(now))
end

local function take_drop_cancelled(base, cancelled, deliveries, ids, raws, tail)
  redis.call('ZREM', cancelled, unpack(ids))
  for j, id in ipairs(ids) do
    -- Found by a text search: a rare path, and a false match only deletes a key that does not
    -- exist. pcall: best effort (the key has a TTL).
    if string.find(raws[j], '"stored":1', 1, true) then redis.pcall('UNLINK', input_key(base, id)) end
    settle_dropped_run(base, id, raws[j], tail)
  end
  if redis.call('HLEN', deliveries) > 0 then redis.call('HDEL', deliveries, unpack(ids)) end
end
