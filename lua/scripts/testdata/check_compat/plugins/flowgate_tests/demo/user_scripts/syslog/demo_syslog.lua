-- A 4.2-style syslog handler: counts the events of its producer.
require "lua_utils"
local json = require("dkjson")
local user_scripts = require("user_scripts")

local handler = {
  category = user_scripts.script_categories.security,
  hooks = {},
  gui = {
    i18n_title = "demo.syslog",
    i18n_description = "demo.syslog_descr",
  },
}

function handler.setup()
  return true
end

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local event = json.decode(message)
  if event == nil then
    interface.incSyslogStats(1, 1, 0, 0, 0, 0)
    return
  end
  interface.incSyslogStats(1, 0, 0, 0, 0, 0)
end

return handler
