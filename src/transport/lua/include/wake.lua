--[[
  Fragment: wakes parked workers. A parked worker blocks on the queue's marker list (BLPOP),
  not on a source list, so any source (wait, and later priorities, groups, partitions) can wake
  it. At most one token waits there: a token nobody needs costs one empty take.
  wake(marker): whoever adds calls to a source list calls it; so does a take that leaves work.
]]
local function wake(marker)
  if redis.call('LLEN', marker) == 0 then redis.call('RPUSH', marker, '1') end
end
