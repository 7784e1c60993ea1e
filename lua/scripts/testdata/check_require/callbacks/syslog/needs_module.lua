-- A syslog handler whose require fails only when an event arrives.
local handler = { hooks = {} }

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local parser = require "no_such_module"
  parser.parse(message)
end

return handler
