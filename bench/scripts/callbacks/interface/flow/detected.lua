-- Load-run flow script: reads two fields when the protocol is detected.
local script = { hooks = {} }
local n = 0
function script.setup() return true end
function script.hooks.protocolDetected(now, conf)
  local bytes = flow.getBytes()
  local key = flow.getServerKey()
  if bytes > 0 and key ~= "" then n = n + 1 end
end
return script
