--[[
  Claims the first delivery of signed calls, many per round trip (docs/SECURITY.md, *Signing*):
  each key is set only if absent, with its own ttl, so the same signed call pushed again after it
  ran is recognised as a replay.
  KEYS[i]  <base>:seen:<call id>:<attempt>:<deadline>, one per call (all of one queue: one slot)
  ARGV[i]  its ttl in ms
  Returns: 1 (claimed) or 0 (claimed before: a replay) per key.
]]
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('SET', KEYS[i], '1', 'PX', ARGV[i], 'NX') and 1 or 0
end
return out
