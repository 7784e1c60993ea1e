-- setup() returning nothing disables the script (ntopng 4.2 rule).
local script = { hooks = {} }
function script.setup() end
function script.hooks.protocolDetected(now, conf) end
return script
