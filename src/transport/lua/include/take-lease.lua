--[[
  Fragment of take-12: leases calls under consecutive fresh tokens, per batch: one INCRBY for
  all tokens, one ZADD and one HSET for all leases (a command per call cost ~5 us of Redis each).
  take_lease(leased, active, bodies, seq, lease_ms, now, head) -> the take's answer: `head` (a
    table of the take's fixed fields), then the token before the first and envelope, deliveries
    per call (just `head` when nothing was leased); leased[j] = { envelope, deliveries }
  A lease is held exactly while its token has a body: every script that adds or drops one does
  the other too. `leases` (a LIST, keys.lua): the taking worker's record of what it may hold,
  one range per take, so that the leases of a worker whose heartbeat stopped come back at once
  (maintain-10.lua), not when they expire; '' (an older worker) records nothing.
]]
-- @include keys.lua
local function take_lease(leased, active, bodies, seq, lease_ms, now, head, leases)
  local out = head
  local base = #head
  local count = #leased
  if count == 0 then return out end
  local last = redis.call('INCRBY', seq, count)
  local zadd, hbodies = {}, {}
  local expiry = now + lease_ms
  for j = 1, count do
    local l = leased[j]
    -- %d, not tostring: tostring writes 1e+14 from there on, and the worker counts tokens itself.
    local token = string.format('%d', last - count + j)
    -- Newest token first: a small lease set is a listpack that ZADD scans from its head for the
    -- insert position, and a token below all others (same expiry) is placed at once; in token
    -- order each insert scanned past the whole batch (issue 5: ZADD was ~1.8 us per call).
    zadd[2 * (count - j) + 1] = expiry
    zadd[2 * (count - j) + 2] = token
    hbodies[2 * j - 1] = token
    hbodies[2 * j] = l[1]
    out[base + 2 * j] = l[1]
    out[base + 2 * j + 1] = l[2]
  end
  out[base + 1] = last - count
  redis.call('ZADD', active, unpack(zadd))
  redis.call('HSET', bodies, unpack(hbodies))
  if leases and leases ~= '' then redis.call('RPUSH', leases, string.format('%d-%d', last - count + 1, last)) end
  return out
end
