-- l7_proto filter: only DNS flows (master or app).
local script = { l7_proto = "DNS", hooks = {} }
function script.hooks.protocolDetected(now, conf) end
return script
