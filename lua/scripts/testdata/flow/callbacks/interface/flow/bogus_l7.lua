-- An l7_proto nDPI does not know: the loader skips the script.
local script = { l7_proto = "NoSuchProtocol", hooks = {} }
function script.hooks.protocolDetected(now, conf) end
return script
