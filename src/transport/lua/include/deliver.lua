--[[
  Fragment shared by scripts that write replies: complete-4 and enqueue-7, which hand a stored
  reply to a call other than the one it was made for (idempotency followers).
  deliver_copy(reply, call_id, spec, reply_ttl, inbox_ttl)
    reply  a reply envelope (envelope.lua)
    spec   where the follower wants it: "h|<replies hash>|<inbox key>" | "p|<channel>" |
           "s|<shard channel>" (SPUBLISH, the queue's own) | "-"
           (see complete-4.lua for what each mode writes)
  deliver_to_waiters(idem, reply, reply_ttl, inbox_ttl): a copy of `reply` to every follower
    waiting on the idempotency key `idem` (its :waiters list, which goes)
  keep_at_least(key, ttl): a replies hash gets replies from workers and from enqueue-7 (a
  client's own replyTtlMs): its TTL is only ever extended, so a shorter one never cuts the time
  left to replies already in it. (PEXPIRE GT cannot do it: it leaves a hash without a TTL without one.)
]]
-- @include envelope.lua
local function keep_at_least(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end

local function deliver_copy(reply, call_id, spec, reply_ttl, inbox_ttl)
  local copy = envelope_with_id(reply, call_id)
  if not copy then return end
  local kind, a, b = string.match(spec, '^(%a)|([^|]*)|?(.*)$')
  if kind == 'h' then
    redis.call('HSET', a, call_id, copy)
    keep_at_least(a, reply_ttl)
    redis.call('RPUSH', b, copy)
    redis.call('PEXPIRE', b, inbox_ttl)
  elseif kind == 'p' then
    redis.call('PUBLISH', a, copy)
  elseif kind == 's' then
    redis.call('SPUBLISH', a, copy)
  end
end

local function deliver_to_waiters(idem, reply, reply_ttl, inbox_ttl)
  for _, w in ipairs(redis.call('LRANGE', idem .. ':waiters', 0, -1)) do
    local fid, spec = string.match(w, '^([^|]+)|(.*)$')
    if fid then deliver_copy(reply, fid, spec, reply_ttl, inbox_ttl) end
  end
  redis.call('DEL', idem .. ':waiters')
end
