-- Load-run flow script: reads two fields when a flow ends.
local script = { hooks = {} }
local total = 0
function script.setup() return true end
function script.hooks.flowEnd(now, conf)
  total = total + flow.getBytes()
  local cli = flow.getClientKey()
end
return script
