--[[
  Fragment of take-11: rate limits and global concurrency, enforced where the queue lives so they
  hold over any number of workers. A limit belongs to a scope: 'task:<path>' (task({ rateLimit,
  concurrency })) or 'group:<name>' (the worker option `groups`, for every fair group).
  limits (take option): { tasks = { [path] = rule }, group = rule }, rule = { max, perMs, concurrency }
  Keys, all under the queue's base:
    rate:<scope>     ZSET token -> start (ms): a sliding log; at most `max` starts in any `perMs`
                     window (no burst of twice the limit at a window's edge)
    running:<scope>  ZSET token -> start: calls holding a concurrency slot; a slot goes with the
                     call's lease (complete, release, or the reaper when the lease expires)
    held:<scope>     LIST calls set aside over the limit: they wait here (no worker slot held)
    held             ZSET scope -> when to look at its held calls again (a rate window opening;
                     a freed concurrency slot sets it to 0)
  limit_scopes(limits, raw) -> the scopes with a limit that this call counts against, or nil
  limits_allowance(base, limits, state, scope, now) -> calls of the scope that may start now
    (read once per take into `state`; limits_admit consumes it)
  limits_admit(base, limits, state, scopes, now) -> nil when admitted (allowances consumed),
    else the first scope whose limit is reached
  limits_hold(base, held, limits, state, scope, raw, now): sets a call aside under its scope
  limits_reenter(base, limits, state, held, now, max) -> items, scopes: held calls that may start
    now, at most max; a scope with calls left is looked at again when its window opens
  limits_record(base, limits, leased_scopes, first_token, now): the admitted calls' starts and
    slots (leased_scopes[j]: the scopes of the j-th leased call, whose token is first_token + j - 1)
  limits_next_ms(held, now) -> ms until a held scope is due again, or -1
]]
-- @include route.lua
local NEVER = 1e15

local function limit_rule(limits, scope)
  if string.sub(scope, 1, 5) == 'task:' then return limits.tasks and limits.tasks[string.sub(scope, 6)] end
  return limits.group
end

local function limit_scopes(limits, raw)
  local out
  if limits.tasks then
    local task = envelope_task(raw)
    if task and limits.tasks[task] then out = { 'task:' .. task } end
  end
  if limits.group then
    local group = envelope_group(raw)
    if group then
      out = out or {}
      out[#out + 1] = 'group:' .. group
    end
  end
  return out
end

-- What is left of a scope's limits for this take: { rate = starts left in the window, slots =
-- concurrency slots left } (math.huge where the scope has no such limit), read once per take.
local function scope_state(base, limits, state, scope, now)
  local st = state[scope]
  if st then return st end
  local rule = limit_rule(limits, scope) or {}
  st = { rate = math.huge, slots = math.huge, rule = rule }
  if rule.max then
    local log = base .. ':rate:' .. scope
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - rule.perMs)
    st.rate = rule.max - redis.call('ZCARD', log)
  end
  if rule.concurrency then st.slots = rule.concurrency - redis.call('ZCARD', base .. ':running:' .. scope) end
  state[scope] = st
  return st
end

local function limits_allowance(base, limits, state, scope, now)
  local st = scope_state(base, limits, state, scope, now)
  return math.min(st.rate, st.slots)
end

local function limits_admit(base, limits, state, scopes, now)
  for _, scope in ipairs(scopes) do
    if limits_allowance(base, limits, state, scope, now) <= 0 then return scope end
  end
  for _, scope in ipairs(scopes) do
    local st = state[scope]
    st.rate = st.rate - 1
    st.slots = st.slots - 1
  end
  return nil
end

-- When a scope's held calls may be looked at again: never by time while its concurrency slots
-- are all taken (a freed slot sets the score to 0, see complete-4 and maintain), else when its
-- rate window next opens, else now.
local function limit_retry_at(base, limits, state, scope, now)
  local st = scope_state(base, limits, state, scope, now)
  if st.slots <= 0 then return NEVER end
  if st.rate <= 0 then
    local oldest = redis.call('ZRANGE', base .. ':rate:' .. scope, 0, 0, 'WITHSCORES')
    return (#oldest > 0 and tonumber(oldest[2]) or now) + st.rule.perMs
  end
  return now
end

local function limits_hold(base, held, limits, state, scope, raw, now)
  redis.call('RPUSH', base .. ':held:' .. scope, raw)
  redis.call('ZADD', held, limit_retry_at(base, limits, state, scope, now), scope)
end

local function limits_reenter(base, limits, state, held, now, max)
  local items, scopes = {}, {}
  local due = redis.call('ZRANGEBYSCORE', held, '-inf', now, 'LIMIT', 0, 100)
  for _, scope in ipairs(due) do
    local list = base .. ':held:' .. scope
    local n = math.min(limits_allowance(base, limits, state, scope, now), max - #items)
    if n > 0 then
      local popped = redis.call('LPOP', list, n)
      if popped then
        for _, raw in ipairs(popped) do
          items[#items + 1] = raw
          scopes[#items] = scope
        end
      end
    end
    if redis.call('LLEN', list) == 0 then
      redis.call('ZREM', held, scope)
    else
      -- As if the popped calls were admitted: the window and the slots they will take count.
      local st = state[scope]
      local reserved = { rate = st.rate - n, slots = st.slots - n, rule = st.rule }
      state[scope] = reserved
      redis.call('ZADD', held, limit_retry_at(base, limits, state, scope, now), scope)
      state[scope] = st
    end
  end
  return items, scopes
end

local function limits_record(base, limits, leased_scopes, first_token, now)
  -- One ZADD per key for the whole take, not one per call.
  local adds = {}
  for j, scopes in pairs(leased_scopes) do
    local token = string.format('%d', first_token + j - 1)
    for _, scope in ipairs(scopes) do
      local rule = limit_rule(limits, scope) or {}
      for _, kind in ipairs({ rule.max and 'rate' or false, rule.concurrency and 'running' or false }) do
        if kind then
          local key = base .. ':' .. kind .. ':' .. scope
          local args = adds[key]
          if not args then
            args = {}
            adds[key] = args
          end
          args[#args + 1] = now
          args[#args + 1] = token
        end
      end
    end
  end
  for key, args in pairs(adds) do redis.call('ZADD', key, unpack(args)) end
end

local function limits_next_ms(held, now)
  local head = redis.call('ZRANGE', held, 0, 0, 'WITHSCORES')
  if #head == 0 or tonumber(head[2]) >= NEVER then return -1 end
  return math.max(0, tonumber(head[2]) - now)
end
