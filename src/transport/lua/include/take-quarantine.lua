--[[
  Fragment of take-8: poison-call quarantine. A suspect is a call delivered `from` times or more
  without being settled (its workers died or froze with it). A worker runs at most one suspect
  at a time: a crash it causes then charges no other suspect, so calls that merely shared a
  batch with a poison call are not dead-lettered with it.
  quarantine(from, may) -> state; from 0 disables; may: this worker runs no suspect now
  quarantine_admit(q, earlier) -> true to lease a call delivered `earlier` times before, false
    to stop the take at it (a second suspect)
  quarantine_return(wait, items, at): puts items[at..] back at the head of wait, in order,
    uncounted (a stopped take hands back the suspect and everything behind it)
]]
local function quarantine(from, may)
  return { from = from, may = may }
end

local function quarantine_admit(q, earlier)
  if q.from > 0 and earlier >= q.from then
    if not q.may then return false end
    q.may = false
  end
  return true
end

local function quarantine_return(wait, items, at)
  for j = #items, at, -1 do redis.call('LPUSH', wait, items[j]) end
end
