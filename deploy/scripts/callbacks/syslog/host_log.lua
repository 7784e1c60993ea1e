--
-- host_log.lua: flowgate's handler for plain host logs (sshd, kernel,
-- sudo, firewalls...). Route producers here with the producer map (source
-- IP or device name -> "host_log", or "*" -> "host_log"). Written for
-- flowgate.
--
-- A message at or above the configured severity raises a host alert
-- (alert_host_log) on the sending host; every message is counted.
--
-- Configuration (syslog_conf.host_log.all.script_conf):
--   threshold = N   syslog severity 0 (emerg) .. 7 (debug); messages with
--                   severity <= N alert. Default 3 (err).
--

require "lua_utils"
local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local user_scripts = require("user_scripts")

local handler = {
  category = user_scripts.script_categories.system,
  hooks = {},
  default_value = { threshold = 3 },
  gui = {
    i18n_title = "Host log",
    i18n_description = "Alert on host syslog messages at or above a severity",
  },
}

-- syslog severity (0..7) -> ntopng severity
local by_syslog = {}
for _, s in pairs(alert_consts.alert_severities) do
  by_syslog[s.syslog_severity] = s
end

local default_threshold = 3

function handler.setup()
  return true
end

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local threshold = default_threshold
  local c = syslog_conf and syslog_conf.host_log and syslog_conf.host_log.all
  if c and c.script_conf and tonumber(c.script_conf.threshold) then
    threshold = tonumber(c.script_conf.threshold)
  end
  local level = (tonumber(priority) or 0) % 8
  if level > threshold then
    interface.incSyslogStats(1, 0, 0, 0, 0, 0)
    return
  end
  local ip = host
  if not (isIPv4(ip) or isIPv6(ip)) then ip = tostring(host) end
  alerts_api.store(alerts_api.hostAlertEntity(ip, 0), {
    alert_type = alert_consts.alert_types.alert_host_log,
    alert_subtype = "",
    alert_severity = by_syslog[level] or alert_consts.alert_severities.error,
    alert_type_params = {
      host = host,
      message = message,
      priority = priority,
      facility = math.floor((tonumber(priority) or 0) / 8),
      level = level,
    },
  })
  interface.incSyslogStats(1, 0, 0, 1, 1, 0)
end

function handler.teardown()
  return true
end

return handler
