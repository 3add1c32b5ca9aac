-- Shared by scripts that write replies: complete-5 and enqueue-3, which hand a stored reply to a
-- call other than the one it was made for (idempotency followers). Included by
-- `-- @include deliver.lua`; not a script on its own.
-- reply: a reply envelope, beginning {"v":1,"id":"<id>" (13 bytes before the id)
-- spec:  "h|<replies hash>|<inbox key>" | "k|<reply key>|<inbox key>" (older clients) |
--        "p|<channel>" | "-"   (see complete-5.lua for what each mode writes)
-- A replies hash gets replies from workers and from enqueue-3 (a client's own replyTtlMs): its
-- TTL is only ever extended, so a shorter one never cuts the time left to replies already in it.
-- (PEXPIRE GT cannot do it: it leaves a hash without a TTL without one.)
local function keep_at_least(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end

local function deliver_copy(reply, call_id, spec, reply_ttl, inbox_ttl)
  local owner = string.match(reply, '^{"v":1,"id":"([^"]+)"')
  if not owner then return end
  local copy = '{"v":1,"id":"' .. call_id .. '"' .. string.sub(reply, 15 + #owner)
  local kind, a, b = string.match(spec, '^(%a)|([^|]*)|?(.*)$')
  if kind == 'h' or kind == 'k' then
    if kind == 'h' then
      redis.call('HSET', a, call_id, copy)
      keep_at_least(a, reply_ttl)
    else
      redis.call('SET', a, copy, 'PX', reply_ttl)
    end
    redis.call('RPUSH', b, copy)
    redis.call('PEXPIRE', b, inbox_ttl)
  elseif kind == 'p' then
    redis.call('PUBLISH', a, copy)
  end
end
