--[[
  Settles leased calls, one taken batch at a time (take-11.lua leases a take's calls as one
  batch): writes each reply, retries or dead-letters, and ends what it settles of the batch's
  lease. A batch whose lease is gone (reaped and handed to another worker) settles nothing: its
  late results are dropped, which is what fences a worker that lost its lease.
  KEYS[1] batches     ZSET batch id -> lease expiry
  KEYS[2] deliveries  HASH call id -> earlier unsettled deliveries (see take-11.lua)
  KEYS[3] dead        STREAM of dead letters
  KEYS[4] delayed     ZSET envelope -> time it may run again
  ARGV[1] inbox ttl in ms
  ARGV[2] dead-letter stream max length (approximate)
  ARGV[3] reply ttl in ms: a replies hash lives at least this long after a write (also for the
          copies sent to idempotency followers)
  ARGV[4] the queue's key base, "<prefix>:{<queue>}": inboxes, replies hashes and batch lists
          are built here from it (keys.lua) rather than sent per call
  ARGV[5] reply channel prefix, "<prefix>:reply:" (followed by the client id)
  ARGV[6] M, the number of batches; then M triples: batch id, number of its calls here, how:
          'w' whole: the calls here are all of the batch's calls not settled before, as far as the
              worker knows for sure: the batch's list goes (one DEL) and its lease ends
          'p' part: each call's entry in the batch's list becomes '' (settled: a reaper skips it);
              a call whose entry is '' already (its settle ran before) is not settled again
          'c' checked part: as 'p', then the lease ends if every entry is '' (the worker's last
              calls of the batch, or a batch it is unsure about after an error)
  then one group per call, batch after batch in the triples' order, of 5 arguments or, when the
  action ends in 'x', of 10:
    token, call id,
    action  'h' reply to inbox+replies hash | 'p' publish | 's' publish on the queue's shard
            (SPUBLISH <base>:reply:<client>) | '-' no reply | 'r' retry later;
            with a trailing 'x' ('hx', ...) when the five optional fields follow
    to      client id (for 'h', 'p' and 's') | delay in ms (for 'r') | ''
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
    (The optional five are rare; leaving them out of the common group saved ARGV strings here
    and argument encoding in the worker.)
  Returns: array with 1 (settled) or 0 (lease lost, or settled before: dropped) per call, in the
  order of the groups.
  Every key shares the queue's hash tag, so all keys live in one slot.
  A batch settled whole costs one DEL and a share of one ZREM, however many calls it had; its
  envelopes are read only when one is needed (a dead letter keeps it; delivery counts are keyed
  by the id in it). Each client gets one RPUSH and one PEXPIRE of its inbox per script and, in
  mode 'h', one HSET and one PEXPIRE of its replies hash (a write per call was ~0.7 us of Redis
  each, issue 5). A retry ('r') never names its stored input: the next attempt reads it.
  Mode 'h' writes the reply twice: on the inbox, which the client pops, so it needs no second
  round trip to read it; and as a field of the client's replies hash, where it stays until the
  client has read it (a client whose BLMPOP answer was lost to a dropped connection finds it there).
]]
-- @include time.lua
-- @include keys.lua
-- @include deliver.lua
-- @include slots.lua
-- @include wake.lua
local now = now_ms()
local reply_ttl = ARGV[3]
local base = ARGV[4]
if slot_migrating(base) then return SLOT_MIGRATING end

local counted = redis.call('HLEN', KEYS[2]) > 0
local res, starts, held_at, bodies, ended = {}, {}, {}, {}, {}
local nb = tonumber(ARGV[6])
local i = 7 + 3 * nb
for b = 1, nb do
  local first, count, how = ARGV[4 + 3 * b], tonumber(ARGV[5 + 3 * b]), ARGV[6 + 3 * b]
  local key, f = batch_key(base, first), tonumber(first)
  local from = #starts + 1
  local needs_bodies = counted
  for _ = 1, count do
    starts[#starts + 1] = i
    -- A dead letter keeps the call's envelope: read the batch's entries for it (rare).
    if #ARGV[i + 2] == 2 and ARGV[i + 5] ~= '' then needs_bodies = true end
    i = i + (#ARGV[i + 2] == 2 and 10 or 5)
  end
  if how == 'w' then
    local entries = needs_bodies and redis.call('LRANGE', key, 0, -1)
    -- The list exists exactly while the lease is held: every script that ends one drops the other.
    local held = redis.call('DEL', key) == 1
    for j = from, #starts do
      if held then
        res[j] = 1
        held_at[#held_at + 1] = j
        bodies[j] = entries and entries[tonumber(ARGV[starts[j]]) - f + 1] or false
      else
        res[j] = 0
      end
    end
    if held then ended[#ended + 1] = first end
  else
    for j = from, #starts do
      local idx = tonumber(ARGV[starts[j]]) - f
      local entry = redis.call('LINDEX', key, idx)
      -- nil: the lease is gone; '': settled before (a re-sent settle, or the same call twice).
      if entry and entry ~= '' then
        redis.call('LSET', key, idx, '')
        res[j] = 1
        held_at[#held_at + 1] = j
        bodies[j] = entry
      else
        res[j] = 0
      end
    end
    if how == 'c' and #redis.call('LPOS', key, '', 'COUNT', 0) == redis.call('LLEN', key) then
      redis.call('DEL', key)
      ended[#ended + 1] = first
    end
  end
end
if #ended > 0 then redis.call('ZREM', KEYS[1], unpack(ended)) end
if #held_at == 0 then return res end
-- Keyed by what take-11.lua counted (the envelope's id prefix), not by what the worker could
-- decode: a malformed message with a readable id would otherwise leave its counter behind.
-- Read only when some call has a count (rare): matching every body cost ~0.4 us per call.
if counted then
  local ids = {}
  for _, j in ipairs(held_at) do
    local id = bodies[j] and envelope_id(bodies[j])
    if id then ids[#ids + 1] = id end
  end
  if #ids > 0 then redis.call('HDEL', KEYS[2], unpack(ids)) end
end

local inboxes, hashes, slots, retried = {}, {}, {}, false
for _, j in ipairs(held_at) do
  local i = starts[j]
  local id, action, to, payload = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local dead, idem, idem_ttl, input = '', '', '', ''
  if #action == 2 then
    action = string.sub(action, 1, 1)
    dead, idem, idem_ttl, input = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8]
    if ARGV[i + 9] ~= '' then slots_collect(slots, ARGV[i], ARGV[i + 9]) end
  end
  if dead ~= '' then
    if input ~= '' and input ~= '-' then
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'reason', dead, 'id', id,
        'envelope', bodies[j] or '', 'error', payload, 'at', tostring(now), 'input', input)
    else
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'reason', dead, 'id', id,
        'envelope', bodies[j] or '', 'error', payload, 'at', tostring(now))
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
  elseif action == 's' then
    redis.call('SPUBLISH', base .. ':reply:' .. to, payload)
  elseif action == 'r' then
    redis.call('ZADD', KEYS[4], now + tonumber(to), payload)
    retried = true
  end
  if idem ~= '' and action ~= 'r' and payload ~= '' then
    redis.call('SET', idem .. ':result', payload, 'PX', idem_ttl)
    -- The owner key (enqueue-7: input hash and owner) lives as long as the result it vouches for.
    redis.call('PEXPIRE', idem, idem_ttl)
    deliver_to_waiters(idem, payload, reply_ttl, ARGV[1])
  end
end
slots_free(base, slots)
-- A retry in backoff waits in `delayed`: a parked worker is woken to learn when it is due (its
-- take answers that) and parks no longer, as for a delayed enqueue; else it would sleep up to
-- its whole park (1 s) past a 100 ms backoff.
if retried then wake(marker_key(base)) end
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
