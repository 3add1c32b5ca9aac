--[[
  Gives a detached call withdrawn before it ran (client handle.cancel(), withdraw-7 answered 1)
  its outcome, as a worker would have: the reply is stored under its idempotency key run:<id>
  and copied to the followers waiting on it (follow-2.lua), so result() answers CANCELLED at once
  instead of waiting for its deadline.
  KEYS[1] idem    STRING <base>:idem:run:<id> (companions :result, :waiters)
  KEYS[2] status  HASH <base>:run:<id>: its state goes (the stored reply is the state now)
  ARGV[1] the reply (a CANCELLED error reply for the call)
  ARGV[2] how long the outcome is kept (ms): the call's result ttl
  ARGV[3] reply ttl in ms, ARGV[4] inbox ttl in ms (deliver.lua)
  Returns: 1 stored, 0 an outcome was there already.
]]
-- @include keys.lua
-- @include deliver.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(KEYS[1]) then return SLOT_MIGRATING end
if redis.call('EXISTS', KEYS[1] .. ':result') == 1 then return 0 end
redis.call('SET', KEYS[1] .. ':result', ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
deliver_to_waiters(KEYS[1], ARGV[1], ARGV[3], ARGV[4])
redis.call('HDEL', KEYS[2], 'state')
return 1
