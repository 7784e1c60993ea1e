-- Packet interfaces only: never runs on a ZMQ collector.
local script = { packet_interface_only = true, hooks = {} }
function script.hooks.protocolDetected(now, conf) end
return script
