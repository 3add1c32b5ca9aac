--[[
  Fragment of take-11: leases the taken calls as one batch (issue 20). The calls get consecutive
  fresh tokens (one INCRBY); their envelopes go, in token order, on the batch's own LIST
  (keys.lua batch_key, named by the first token: one RPUSH); and one lease covers them all: the
  batch's id (its first token) in `batches` (one ZADD). A lease per call (a ZADD member and a
  bodies field each) cost ~1.9 us of Redis per call; the batch's list ~0.7 (bench/scripts.ts).
  take_lease(leased, batches, seq, lease_ms, now, head, leases, base) -> the take's answer:
    `head` (a table of the take's fixed fields), then the token before the first and envelope,
    deliveries per call (just `head` when nothing was leased); leased[j] = { envelope, deliveries }.
    The batch's id is the token after the one returned.
  `leases` (a LIST, keys.lua): the taking worker's record of what it may hold, "b<id>" per take,
  so that the leases of a worker whose heartbeat stopped come back at once (maintain-11.lua),
  not when they expire; '' (an older worker) records nothing.
]]
-- @include keys.lua
local function take_lease(leased, batches, seq, lease_ms, now, head, leases, base)
  local out = head
  local n0 = #head
  local count = #leased
  if count == 0 then return out end
  local last = redis.call('INCRBY', seq, count)
  -- %d, not tostring: tostring writes 1e+14 from there on, and the worker counts tokens itself.
  local first = string.format('%d', last - count + 1)
  local bodies = {}
  for j = 1, count do
    local l = leased[j]
    bodies[j] = l[1]
    out[n0 + 2 * j] = l[1]
    out[n0 + 2 * j + 1] = l[2]
  end
  out[n0 + 1] = last - count
  redis.call('RPUSH', batch_key(base, first), unpack(bodies))
  redis.call('ZADD', batches, now + lease_ms, first)
  -- RPUSHX: the record exists while its worker ticks (maintain-11.lua), so a take after a closing
  -- worker's last tick writes nothing that would outlive it.
  if leases and leases ~= '' then redis.call('RPUSHX', leases, 'b' .. first) end
  return out
end
