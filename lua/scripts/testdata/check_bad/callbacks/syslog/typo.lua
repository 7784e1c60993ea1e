-- A syslog handler with a misspelt hook.
local handler = { hooks = {} }

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  interface.incSyslogStats(1, 0, 0, 0, 0, 0)
end

function handler.hooks.handleEvents(syslog_conf, message)
end

return handler
