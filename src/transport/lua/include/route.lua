--[[
  Fragment: where a call waits, read from its envelope (envelope.ts writes `priority` and then
  `group` right after `task`, so a prefix match never looks inside the input):
    a group      -> its group's list <base>:group:<name>, the group on the ring `groups` while
                    it has calls (take-sources.lua takes round-robin over the ring)
    a priority   -> the ZSET `prio`, scored by when it is due: now + priority x aging
    neither      -> the wait list
  route(q, raw, front, now, aging): q = { base, wait, prio, groups }; front puts it at the head
    (a call coming back: an expired lease, a release, a stopped take), scored due now in `prio`.
  envelope_task(raw), envelope_priority(raw), envelope_group(raw) -> the field, or nil.
]]
-- @include keys.lua
local ROUTE_HEAD = '^{"v":1,"id":"[^"]+","task":"[^"]+"'

local function envelope_task(raw)
  return string.match(raw, '^{"v":1,"id":"[^"]+","task":"([^"]+)"')
end

local function envelope_priority(raw)
  return tonumber(string.match(raw, ROUTE_HEAD .. ',"priority":(%d+)'))
end

local function envelope_group(raw)
  return string.match(raw, ROUTE_HEAD .. ',"group":"([^"]+)"') or string.match(raw, ROUTE_HEAD .. ',"priority":%d+,"group":"([^"]+)"')
end

local function route(q, raw, front, now, aging)
  local group = envelope_group(raw)
  if group then
    -- A group joins the ring when its list goes from empty to one call.
    if redis.call(front and 'LPUSH' or 'RPUSH', group_key(q.base, group), raw) == 1 then redis.call('RPUSH', q.groups, group) end
    return
  end
  local priority = envelope_priority(raw)
  if priority then
    redis.call('ZADD', q.prio, front and now or now + priority * aging, raw)
    return
  end
  redis.call(front and 'LPUSH' or 'RPUSH', q.wait, raw)
end
