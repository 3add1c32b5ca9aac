--[[
  Settles a batch of leased calls: writes each reply, retries or dead-letters, and releases the
  lease. A call whose lease token is gone (reaped and handed to another worker) is skipped
  whole: its late result is dropped, which is what fences a worker that lost its lease.
  KEYS[1] active      ZSET token -> lease expiry
  KEYS[2] bodies      HASH token -> envelope; a token with a body is a lease still held
  KEYS[3] deliveries  HASH call id -> earlier unsettled deliveries (see take-12.lua)
  KEYS[4] dead        STREAM of dead letters
  KEYS[5] delayed     ZSET envelope -> time it may run again
  ARGV[1] inbox ttl in ms
  ARGV[2] dead-letter stream max length (approximate)
  ARGV[3] reply ttl in ms: a replies hash lives at least this long after a write (also for the
          copies sent to idempotency followers)
  ARGV[4] the queue's key base, "<prefix>:{<queue>}": inboxes and replies hashes are built
          here from it and the client id (keys.lua) rather than sent per call
  ARGV[5] reply channel prefix, "<prefix>:reply:" (followed by the client id)
  ARGV[6..] one group per call, of 5 arguments or, when the action ends in 'x', of 10:
    token, call id,
    action  'h' reply to inbox+replies hash | 'p' publish | '-' no reply | 'r' retry later;
            with a trailing 'x' ('hx', ...) when the four optional fields follow
    to      client id (for 'h' and 'p') | delay in ms (for 'r') | ''
    payload reply envelope | new envelope (for 'r')
    dead    '' or a dead-letter reason; the stored envelope goes to the dead stream
    idem    '' or the call's idempotency key: the reply is stored for later callers with the
            same key and copied to the ones already waiting (see enqueue-7.lua)
    idemTtl ms to keep that stored reply
    input   '' when the call carried its input, else it was stored at <base>:input:<call id>
            (wire/protocol.ts), which goes now: '-', or the input's text to keep in the dead letter
            (the stream's cap then bounds what dead letters hold, stored inputs included)
    scopes  '' or the limit scopes whose concurrency slots the call held, comma-separated
            ('task:<path>', 'group:<name>', see take-limits.lua): they are given back now
    (The optional four are rare; leaving them out of the common group saved ARGV strings here
    and argument encoding in the worker.)
  Returns: array with 1 (settled) or 0 (lease lost, dropped) per call.
  Every key shares the queue's hash tag, so all keys live in one slot.
  Leases are checked (by their bodies), released and their bodies read in one command each per
  batch; each client gets one RPUSH and one PEXPIRE of its inbox per batch and, in mode 'h', one
  HSET and one PEXPIRE of its replies hash (a write per call was ~0.7 us of Redis each, issue 5).
  A retry ('r') never names its stored input: the next attempt reads it.
  Mode 'h' writes the reply twice: on the inbox, which the client pops, so it needs no second
  round trip to read it; and as a field of the client's replies hash, where it stays until the
  client has read it (a client whose BLMPOP answer was lost to a dropped connection finds it there).
]]
-- @include time.lua
-- @include keys.lua
-- @include deliver.lua
-- @include slots.lua
local now = now_ms()
local reply_ttl = ARGV[3]
local base = ARGV[4]

local tokens, starts = {}, {}
local i = 6
while i <= #ARGV do
  tokens[#tokens + 1] = ARGV[i]
  starts[#starts + 1] = i
  i = i + (#ARGV[i + 2] == 2 and 10 or 5)
end
local res = {}
if #tokens == 0 then return res end
-- A lease is held exactly while its token has a body: every script that adds or drops one
-- does the other too. The bodies hash is a real hash table (envelopes are too long for a
-- listpack), where the lease set of a busy worker is a listpack that ZMSCORE scans per token.
local stored = redis.call('HMGET', KEYS[2], unpack(tokens))
local held, held_at, bodies, seen = {}, {}, {}, {}
for j, token in ipairs(tokens) do
  -- A token twice in one batch is settled once.
  if stored[j] and not seen[token] then
    seen[token] = true
    held[#held + 1] = token
    held_at[#held_at + 1] = j
    bodies[#bodies + 1] = stored[j]
    res[j] = 1
  else
    res[j] = 0
  end
end
if #held == 0 then return res end
redis.call('ZREM', KEYS[1], unpack(held))
redis.call('HDEL', KEYS[2], unpack(held))
-- Keyed by what take-12.lua counted (the envelope's id prefix), not by what the worker could
-- decode: a malformed message with a readable id would otherwise leave its counter behind.
-- Read only when some call has a count (rare): matching every body cost ~0.4 us per call.
if redis.call('HLEN', KEYS[3]) > 0 then
  local counted = {}
  for k = 1, #held do
    local id = bodies[k] and envelope_id(bodies[k])
    if id then counted[#counted + 1] = id end
  end
  if #counted > 0 then redis.call('HDEL', KEYS[3], unpack(counted)) end
end

local inboxes, hashes, slots = {}, {}, {}
for k, j in ipairs(held_at) do
  local i = starts[j]
  local id, action, to, payload = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local dead, idem, idem_ttl, input = '', '', '', ''
  if #action == 2 then
    action = string.sub(action, 1, 1)
    dead, idem, idem_ttl, input = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8]
    if ARGV[i + 9] ~= '' then slots_collect(slots, tokens[j], ARGV[i + 9]) end
  end
  if dead ~= '' then
    if input ~= '' and input ~= '-' then
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 'reason', dead, 'id', id,
        'envelope', bodies[k] or '', 'error', payload, 'at', tostring(now), 'input', input)
    else
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 'reason', dead, 'id', id,
        'envelope', bodies[k] or '', 'error', payload, 'at', tostring(now))
    end
  end
  -- pcall: best effort (the key has a TTL). An error here, after the leases above were released,
  -- would abort the script with its writes so far kept, and every reply of the batch lost.
  if input ~= '' then redis.pcall('UNLINK', input_key(base, id)) end
  if action == 'h' then
    local replies = inboxes[to]
    if not replies then
      replies = {}
      inboxes[to] = replies
      hashes[to] = {}
    end
    replies[#replies + 1] = payload
    local fields = hashes[to]
    fields[#fields + 1] = id
    fields[#fields + 1] = payload
  elseif action == 'p' then
    redis.call('PUBLISH', ARGV[5] .. to, payload)
  elseif action == 'r' then
    redis.call('ZADD', KEYS[5], now + tonumber(to), payload)
  end
  if idem ~= '' and action ~= 'r' and payload ~= '' then
    redis.call('SET', idem .. ':result', payload, 'PX', idem_ttl)
    -- The owner key (enqueue-7: input hash and owner) lives as long as the result it vouches for.
    redis.call('PEXPIRE', idem, idem_ttl)
    deliver_to_waiters(idem, payload, reply_ttl, ARGV[1])
  end
end
slots_free(base, slots)
for client, fields in pairs(hashes) do
  if #fields > 0 then
    local replies = replies_key(base, client)
    redis.call('HSET', replies, unpack(fields))
    keep_at_least(replies, reply_ttl)
  end
end
for client, replies in pairs(inboxes) do
  local inbox = inbox_key(base, client)
  redis.call('RPUSH', inbox, unpack(replies))
  redis.call('PEXPIRE', inbox, ARGV[1])
end
return res
