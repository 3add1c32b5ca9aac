--[[
  Fragment: keys a script builds itself from the queue's base "<prefix>:{<queue>}" instead of
  receiving one per call; the twin of src/wire/keys.ts (same hash tag, so the same slot).
]]
local function inbox_key(base, client) return base .. ':inbox:' .. client end
local function replies_key(base, client) return base .. ':replies:' .. client end
local function input_key(base, id) return base .. ':input:' .. id end
local function group_key(base, group) return base .. ':group:' .. group end
-- HASH lease token -> the id of the worker holding it (a dead worker's leases come back at once).
local function owners_key(base) return base .. ':owners' end
