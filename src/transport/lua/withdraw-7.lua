--[[
  Withdraws a call its caller no longer waits for, atomically. A call still waiting (in the wait
  list, its group's list, the prioritized set, or `delayed`: a delay or a retry's backoff) is
  removed with its delivery count and its stored input. Otherwise, on a cancel (not on a
  timeout: a worker skips a call past its deadline, and ctx.signal aborts at it), its id is
  remembered until its deadline (take drops it) and announced to the workers, which abort the
  running handler's ctx.signal.
  KEYS[1] wait       LIST of envelopes
  KEYS[2] cancelled  ZSET call id -> deadline (ms)
  KEYS[3] deliveries HASH call id -> earlier unsettled deliveries: a withdrawn call's count goes
  KEYS[4] input      STRING the call's stored input (deleted with the call; may not exist)
  KEYS[5] delayed    ZSET envelope -> when it is due
  KEYS[6] prio       ZSET envelope -> when it is due (prioritized calls)
  KEYS[7] groups     LIST the ring of fair groups with calls waiting
  ARGV[1] raw envelope as sent
  ARGV[2] call id
  ARGV[3] deadline (ms)
  ARGV[4] cancel channel
  ARGV[5] '1' to announce a call that is no longer waiting (cancel) with PUBLISH, 's' with
          SPUBLISH (a client with shardedPubSub: the channel is the queue's, on its shard), '0'
          not to (timeout)
  ARGV[6] the call's group ('' for none)
  ARGV[7] the queue's key base "<prefix>:{<queue>}"
  ARGV[8] the call's task: a call set aside over a limit waits in held:task:<task> or
          held:group:<group> (take-limits.lua)
  ARGV[9] '' or the call's idempotency key: deleted with a withdrawn call that owns it
          (enqueue-7.lua), so the next call with that key runs instead of waiting on this one;
          the callers that joined it are told CANCELLED at once (they may send it again)
  ARGV[10] (absent: an older client) '' or the reply they are told after the call id, signed
          (JOINED_WITHDRAWN_TAIL in envelope.lua otherwise)
  Returns: 1 if withdrawn from where it waited, 0 if announced, -1 if neither.
]]
-- @include keys.lua
-- @include deliver.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(ARGV[7]) then return SLOT_MIGRATING end
local raw, group = ARGV[1], ARGV[6]
local withdrawn
if group ~= '' then
  local list = group_key(ARGV[7], group)
  withdrawn = redis.call('LREM', list, 1, raw) == 1
  if withdrawn and redis.call('LLEN', list) == 0 then redis.call('LREM', KEYS[7], 0, group) end
else
  withdrawn = redis.call('LREM', KEYS[1], 1, raw) == 1 or redis.call('ZREM', KEYS[6], raw) == 1
end
withdrawn = withdrawn or redis.call('ZREM', KEYS[5], raw) == 1
  or redis.call('LREM', ARGV[7] .. ':held:task:' .. ARGV[8], 1, raw) == 1
  or (group ~= '' and redis.call('LREM', ARGV[7] .. ':held:group:' .. group, 1, raw) == 1)
if withdrawn then
  redis.call('HDEL', KEYS[3], ARGV[2])
  if ARGV[9] ~= '' then
    local owner = redis.call('GET', ARGV[9])
    if owner and string.sub(owner, -#ARGV[2] - 1) == '|' .. ARGV[2] then
      redis.call('DEL', ARGV[9])
      local tail = ARGV[10]
      if not tail or tail == '' then tail = JOINED_WITHDRAWN_TAIL end
      local reply = ENVELOPE_PREFIX .. ARGV[2] .. tail
      -- The reply and inbox ttls are the protocol's defaults (src/wire/protocol.ts).
      deliver_to_waiters(ARGV[9], reply, 60000, 300000)
    end
  end
  -- pcall: best effort (the key has a TTL); an ACL without input keys must not undo the rest.
  redis.pcall('UNLINK', KEYS[4])
  return 1
end
if ARGV[5] ~= '1' and ARGV[5] ~= 's' then return -1 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call(ARGV[5] == 's' and 'SPUBLISH' or 'PUBLISH', ARGV[4], ARGV[2])
return 0
