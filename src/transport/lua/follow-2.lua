--[[
  Follows a detached call from any process: its outcome now if it is stored, else a copy when it
  settles (the waiters of its idempotency key `run:<id>`, as enqueue-7 joins a call).
  KEYS[1] idem    STRING the owner of the call's key <base>:idem:run:<id> (companions :result, :waiters)
  KEYS[2] status  HASH the call's status <base>:run:<id> (task, state, attempt, progress)
  ARGV[1] the follower's id (a call id of the following client: the copy carries it)
  ARGV[2] where the follower wants the copy: "h|<replies hash>|<inbox key>" or "p|<channel>"
  ARGV[3] reply ttl in ms
  ARGV[4] inbox ttl in ms
  ARGV[5] the task the follower expects ('' any)
  Returns: { -3 } delivered now; { -2 } will be delivered when it settles; { 0 } unknown (never
  seen, or its outcome expired); { -5, task } it is a call of another task.
]]
-- @include keys.lua
-- @include deliver.lua
-- Before any write: a migrating slot would fail a built key midway (keys.lua).
if slot_migrating(KEYS[1]) then return SLOT_MIGRATING end
local task = redis.call('HGET', KEYS[2], 'task')
if ARGV[5] ~= '' and task and task ~= '' and task ~= ARGV[5] then return { -5, task } end
local result = redis.call('GET', KEYS[1] .. ':result')
if result then
  deliver_copy(result, ARGV[1], ARGV[2], ARGV[3], ARGV[4])
  return { -3 }
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return { 0 } end
redis.call('RPUSH', KEYS[1] .. ':waiters', ARGV[1] .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1] .. ':waiters', ttl)
return { -2 }
