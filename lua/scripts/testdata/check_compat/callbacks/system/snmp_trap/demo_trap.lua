-- An SNMP trap script: logs link-down traps.
local script = {
  default_enabled = true,
  hooks = {},
}

function script.hooks.trap(trap)
  if trap.trap_oid == "1.3.6.1.6.3.1.1.5.3" then
    traceError(TRACE_NORMAL, TRACE_CONSOLE, "link down on " .. trap.source)
  end
end

return script
