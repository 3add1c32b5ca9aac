--[[
  Fragment of take-11: delivery numbers and poison-call quarantine. A suspect is a call
  delivered `from` times or more without being settled (its workers died or froze with it). A
  worker runs at most one suspect at a time: a crash it causes then charges no other suspect,
  so calls that merely shared a batch with a poison call are not dead-lettered with it.
  take_count(items, facts, verdicts, from, may) -> deliveries, blocked_at:
    deliveries[i]  this delivery's number (earlier unsettled ones + 1) for each call not screened
                   out (verdicts[i] nil), in queue order; a call twice in one batch (a re-sent or
                   replayed duplicate) counts twice (facts.before is updated as it goes)
    blocked_at     the first second suspect (this worker may take none, `may` false, or already
                   took one): the take stops there; nil when none. from 0 disables.
  A stopped take hands the suspect and everything behind it back, uncounted (take-sources.lua
  take_return).
]]
local function take_count(items, facts, verdicts, from, may)
  local deliveries = {}
  local before, ids, by_id = facts.before, facts.ids, facts.by_id
  for i, raw in ipairs(items) do
    if not verdicts[i] then
      -- As take-facts.lua's fact_key, inline: its id, or its text when ids were not read.
      local key = ids[i] or (not by_id and raw)
      local earlier = key and before[key] or 0
      if from > 0 and earlier >= from then
        if not may then return deliveries, i end
        may = false
      end
      if key then before[key] = earlier + 1 end
      deliveries[i] = earlier + 1
    end
  end
  return deliveries, nil
end
