--[[
  Fragment of take-11: the candidates of a take, in the order they are taken.
  take_promote(q, now, max, aging): due calls of `delayed` (delays, retries in backoff) are routed
    to where they wait (route.lua), oldest first, at most max.
  take_sources(q, max, now) -> items, origins: up to max calls,
    1. prioritized calls that are due (score <= now), lowest score first;
    2. the wait list and the fair groups, round-robin: one call from the wait list, then one from
       each group on the ring, and again (a tenant with 100,000 calls queued does not delay
       another's single call by more than one round);
    3. prioritized calls not yet due, lowest score first.
    origins[i]: false (the wait list), the score (prio), or the group name, so a call can go back
    where it came from (take_return; also { scope } for a call held over a limit, take-limits.lua).
  take_return(q, items, origins, from): puts items[from..] back at the head of their sources, in
    order (a take stopped by a suspect hands back everything behind it).
  next_due_ms(q, now) -> ms until the next delayed call is due, or -1: a parked worker waits no
    longer than that.
]]
-- @include keys.lua
-- @include route.lua
local function take_promote(q, now, max, aging)
  if redis.call('ZCARD', q.delayed) == 0 then return end
  local due = redis.call('ZRANGEBYSCORE', q.delayed, '-inf', now, 'LIMIT', 0, max)
  for _, raw in ipairs(due) do
    redis.call('ZREM', q.delayed, raw)
    route(q, raw, false, now, aging)
  end
end

local function take_sources(q, max, now)
  local items, origins = {}, {}
  local has_prio = redis.call('ZCARD', q.prio) > 0
  if has_prio then
    local due = redis.call('ZRANGEBYSCORE', q.prio, '-inf', now, 'WITHSCORES', 'LIMIT', 0, max)
    for i = 1, #due, 2 do
      items[#items + 1] = due[i]
      origins[#items] = tonumber(due[i + 1])
      redis.call('ZREM', q.prio, due[i])
    end
  end
  local left = max - #items
  local groups = left > 0 and redis.call('LLEN', q.groups) or 0
  if left > 0 and groups == 0 then
    -- The common case: one LPOP for the whole take.
    local more = redis.call('LPOP', q.wait, left)
    if more then
      for _, raw in ipairs(more) do
        items[#items + 1] = raw
        origins[#items] = false
      end
      left = left - #more
    end
  elseif left > 0 then
    local wait_has = redis.call('LLEN', q.wait) > 0
    while left > 0 and (wait_has or groups > 0) do
      if wait_has then
        local raw = redis.call('LPOP', q.wait)
        if raw then
          items[#items + 1] = raw
          origins[#items] = false
          left = left - 1
        else
          wait_has = false
        end
      end
      local n = groups
      for _ = 1, n do
        if left == 0 then break end
        local group = redis.call('LMOVE', q.groups, q.groups, 'LEFT', 'RIGHT')
        if not group then break end
        local list = group_key(q.base, group)
        local raw = redis.call('LPOP', list)
        if raw then
          items[#items + 1] = raw
          origins[#items] = group
          left = left - 1
        end
        if redis.call('LLEN', list) == 0 then
          -- The group just moved to the ring's tail: it leaves the ring with its last call.
          redis.call('LREM', q.groups, -1, group)
          groups = groups - 1
        end
      end
    end
  end
  if left > 0 and has_prio then
    local rest = redis.call('ZPOPMIN', q.prio, left)
    for i = 1, #rest, 2 do
      items[#items + 1] = rest[i]
      origins[#items] = tonumber(rest[i + 1])
    end
  end
  return items, origins
end

local function take_return(q, items, origins, from)
  for j = #items, from, -1 do
    local origin = origins[j]
    if type(origin) == 'table' then
      -- Set aside over a limit (take-limits.lua): back under its scope, looked at on the next take.
      redis.call('LPUSH', q.base .. ':held:' .. origin[1], items[j])
      redis.call('ZADD', q.base .. ':held', 0, origin[1])
    elseif origin == false then
      redis.call('LPUSH', q.wait, items[j])
    elseif type(origin) == 'number' then
      redis.call('ZADD', q.prio, origin, items[j])
    else
      if redis.call('LPUSH', group_key(q.base, origin), items[j]) == 1 then redis.call('LPUSH', q.groups, origin) end
    end
  end
end

local function next_due_ms(q, now)
  local head = redis.call('ZRANGE', q.delayed, 0, 0, 'WITHSCORES')
  if #head == 0 then return -1 end
  return math.max(0, tonumber(head[2]) - now)
end
