--[[
  Fragment: keys a script builds itself from the queue's base "<prefix>:{<queue>}" instead of
  receiving one per call; the twin of src/wire/keys.ts (same hash tag, so the same slot).
]]
local function inbox_key(base, client) return base .. ':inbox:' .. client end
local function replies_key(base, client) return base .. ':replies:' .. client end
local function input_key(base, id) return base .. ':input:' .. id end
local function group_key(base, group) return base .. ':group:' .. group end
-- LIST of what one worker may hold: token ranges it took ("first-last") since its last
-- maintenance tick, after what it held then; batch leases as "b<first>" (see maintain-11.lua).
local function leases_key(base, worker) return base .. ':leases:' .. worker end
-- LIST of one taken batch's envelopes in token order, named by the batch's first token; a call
-- settled alone becomes '' (complete-4.lua), so a reaper hands back only the others.
local function batch_key(base, first) return base .. ':batch:' .. first end
