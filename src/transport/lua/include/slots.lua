--[[
  Fragment: gives back the concurrency slots a call held (take-limits.lua) when its lease ends.
  free_slots(base, token, scopes): scopes is a list of 'task:<path>' / 'group:<name>'; each
    freed slot tells the scope's held calls to look again (their `held` score goes to 0) and, if
    some wait, wakes a parked worker to take them: else it would sleep through its park (up to
    1 s) while a limited task's next call waits for the slot just freed.
  slots_collect(acc, token, scopes) / slots_free(base, acc): the same for a batch, one ZREM per
    scope (complete-4).
  scopes_of(raw) -> the scopes a call may hold slots under, from its envelope (for scripts that
    end a lease without the worker: the reaper, a release), whether or not they are limited.
]]
-- @include route.lua
-- @include keys.lua
-- @include wake.lua
-- A slot of `scope` was freed: its held calls (if any) may start now.
local function slot_freed(base, scope)
  if redis.call('ZADD', base .. ':held', 'XX', 'CH', 0, scope) == 1 then wake(marker_key(base)) end
end

local function free_slots(base, token, scopes)
  for _, scope in ipairs(scopes) do
    if redis.call('ZREM', base .. ':running:' .. scope, token) == 1 then slot_freed(base, scope) end
  end
end

local function slots_collect(acc, token, scopes)
  for scope in string.gmatch(scopes, '[^,]+') do
    local tokens = acc[scope]
    if not tokens then
      tokens = {}
      acc[scope] = tokens
    end
    tokens[#tokens + 1] = token
  end
end

local function slots_free(base, acc)
  for scope, tokens in pairs(acc) do
    if redis.call('ZREM', base .. ':running:' .. scope, unpack(tokens)) > 0 then slot_freed(base, scope) end
  end
end

local function scopes_of(raw)
  local out = {}
  local task = envelope_task(raw)
  if task then out[#out + 1] = 'task:' .. task end
  local group = envelope_group(raw)
  if group then out[#out + 1] = 'group:' .. group end
  return out
end
