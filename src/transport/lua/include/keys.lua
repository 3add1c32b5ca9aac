--[[
  Fragment: keys a script builds itself from the queue's base "<prefix>:{<queue>}" instead of
  receiving one per call; the twin of src/wire/keys.ts (same hash tag, so the same slot).
]]
local function inbox_key(base, client) return base .. ':inbox:' .. client end
local function replies_key(base, client) return base .. ':replies:' .. client end
local function input_key(base, id) return base .. ':input:' .. id end
local function group_key(base, group) return base .. ':group:' .. group end
-- LIST where parked workers block (wake.lua).
local function marker_key(base) return base .. ':marker' end
-- LIST of what one worker may hold: token ranges it took ("first-last") since its last
-- maintenance tick, after what it held then; batch leases as "b<first>" (see maintain-11.lua).
local function leases_key(base, worker) return base .. ':leases:' .. worker end
-- LIST of one taken batch's envelopes in token order, named by the batch's first token; a call
-- settled alone becomes '' (complete-4.lua), so a reaper hands back only the others.
local function batch_key(base, first) return base .. ':batch:' .. first end

-- Whether this node is migrating the queue's slot away (CLUSTER SETSLOT MIGRATING, resharding):
-- it then runs a command on a key of the slot it lacks only by raising "non local key", in the
-- middle of a script and after that script's earlier writes (a settle would release its leases
-- and lose its replies). A script that builds keys asks this before its first write and, if so,
-- refuses with TRYAGAIN, which the caller sends again (transport/cluster-redirects.ts) until the
-- slot has moved. Elsewhere (one node, a slot that stays) the probe's EXISTS just answers 0.
-- `key` is any key of the queue's slot (its base, or a key built on it). Only that error counts:
-- a user whose ACL does not name the probe key (NOPERM) runs on as before, unprotected.
local function slot_migrating(key)
  local probe = redis.pcall('EXISTS', key .. ':migration-probe')
  return type(probe) == 'table' and type(probe.err) == 'string' and string.find(probe.err, 'non local key', 1, true) ~= nil
end
local SLOT_MIGRATING = redis.error_reply('TRYAGAIN the queue\'s slot is migrating; run again once it has moved')
