-- A syslog handler with a misspelt hook and a call of an ntop function
-- flowgate only stubs.
local handler = { hooks = {} }

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local users = ntop.getUsers()
end

function handler.hooks.handleEvents(syslog_conf, message)
end

return handler
