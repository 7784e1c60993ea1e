-- l4_proto filter: only UDP flows.
local script = { l4_proto = "udp", hooks = {} }
function script.hooks.protocolDetected(now, conf) end
return script
