-- Load-run flow script: looks at long-lived flows every 30 s.
local script = { hooks = {}, periodic_update_seconds = 30 }
function script.setup() return true end
function script.hooks.periodicUpdate(now, conf)
  local b = flow.getBytes()
  local p = flow.getPackets()
  if b > 1e12 then return p end
end
return script
