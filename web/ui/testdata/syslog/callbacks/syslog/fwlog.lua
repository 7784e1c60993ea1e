--
-- fwlog.lua: the browser test's syslog handler. It counts every message
-- and raises on one carrying "boom", so that the syslog page has a
-- producer with handled messages and an error.
--
local handler = { hooks = {}, gui = { i18n_title = "Firewall log (test)" } }

function handler.setup()
  return true
end

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  if string.find(message, "boom", 1, true) then
    error("cannot parse: boom")
  end
end

function handler.teardown()
  return true
end

return handler
