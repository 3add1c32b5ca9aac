--[[
  Fragment: keys a script builds itself from the queue's base "<prefix>:{<queue>}" instead of
  receiving one per call; the twin of src/wire/keys.ts (same hash tag, so the same slot).
]]
local function inbox_key(base, client) return base .. ':inbox:' .. client end
local function replies_key(base, client) return base .. ':replies:' .. client end
local function input_key(base, id) return base .. ':input:' .. id end
local function group_key(base, group) return base .. ':group:' .. group end
-- LIST of what one worker may hold: token ranges it took ("first-last") since its last
-- maintenance tick, after the tokens it held then ("t1,t2,..."); see maintain-10.lua.
local function leases_key(base, worker) return base .. ':leases:' .. worker end
