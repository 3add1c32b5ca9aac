--[[
  Fragment: the envelope prefix, the twin of src/wire/protocol.ts (ENVELOPE_PREFIX). Every call
  and reply envelope begins {"v":1,"id":"<call id>" and ids never hold " or \, so scripts read
  the id by a prefix match instead of a JSON parse.
  envelope_id(raw)          -> the call id, or nil for a text that does not begin so
  envelope_with_id(raw, id) -> the same envelope under another call id (nil if raw has none)
  JOINED_WITHDRAWN_TAIL, CANCELLED_UNRUN_TAIL: what follows ENVELOPE_PREFIX .. <call id> in the
    CANCELLED replies scripts write for calls that never ran (protocol.ts UNRUN_REPLY_TAILS);
    with signing on, the caller of the script passes them signed instead
]]
local ENVELOPE_PREFIX = '{"v":1,"id":"'
local JOINED_WITHDRAWN_TAIL = '","ok":false,"error":{"code":"CANCELLED","message":"the call this one joined (same idempotency key) was withdrawn before it ran: send it again","defined":false}}'
local CANCELLED_UNRUN_TAIL = '","ok":false,"error":{"code":"CANCELLED","message":"the call was cancelled before it ran","defined":false}}'
local ENVELOPE_ID = '^{"v":1,"id":"([^"]+)"'

local function envelope_id(raw)
  return string.match(raw, ENVELOPE_ID)
end

local function envelope_with_id(raw, id)
  local owner = envelope_id(raw)
  if not owner then return nil end
  return ENVELOPE_PREFIX .. id .. string.sub(raw, #ENVELOPE_PREFIX + #owner + 1)
end
