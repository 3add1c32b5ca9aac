--[[
  Fragment: the head of a schedule record (src/wire/schedule-record.ts), read by a prefix match
  as envelope ids are: every record begins {"v":1,"rev":"<rev>","timing":"<key>","created":<ms>,
  and none of the three holds " or \.
  schedule_head(raw) -> rev, timing key, created (string), or nil for a text that does not begin so
]]
local SCHEDULE_HEAD = '^{"v":1,"rev":"([^"]*)","timing":"([^"]*)","created":(%d+),'

local function schedule_head(raw)
  return string.match(raw, SCHEDULE_HEAD)
end
