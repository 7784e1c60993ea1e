--
-- A syslog handler in the shape of ntopng 4.2's host_log.lua (written for
-- flowgate's tests; same requires, configuration path, alert type and
-- companion-interface delivery as ntopng's): every message at or below the
-- configured syslog level raises an alert_host_log alert on the sending
-- host, on this interface and again on each companion interface.
--

local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local alert_severities = require "alert_severities"
local alert_consts = require("alert_consts")
local alerts_api = require "alerts_api"
local user_scripts = require("user_scripts")
local companion_interface_utils = require "companion_interface_utils"

local handler = {
  category = user_scripts.script_categories.security,
  key = "host_log",
  hooks = {},
  gui = {
    i18n_title = "host_log_collector.title",
    i18n_description = "host_log_collector.description",
    input_builder = "threshold_cross",
    field_max = 7,
    field_min = 0,
    field_operator = "lt",
  },
  -- syslog levels 0 (emergency) .. 5 (notice) raise alerts
  default_value = { operator = "lt", threshold = 5 },
}

local facilities = { [1] = "user", [3] = "daemon", [4] = "auth", [10] = "authpriv" }
local levels = { [0] = "EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG" }

function handler.setup()
  return true
end

-- One subtype per distinct line: the sum of its bytes, as a string.
local function subtype(line)
  local sum = 0
  for i = 1, #line do sum = sum + line:byte(i) end
  return tostring(sum)
end

function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local facility = math.floor(priority / 8)
  local level = priority % 8
  if isEmptyString(host) then return end
  if level > syslog_conf.host_log.all.script_conf.threshold then return end

  local entity = alerts_api.hostAlertEntity(host, 0)
  local severity = alert_severities.notice
  if level <= 3 then
    severity = alert_severities.error
  elseif level == 4 then
    severity = alert_severities.warning
  end
  local info = alert_consts.alert_types.alert_host_log.create(
    subtype(message), severity, host, levels[level] or "", facilities[facility] or "", message)

  alerts_api.store(entity, info)

  -- The same alert on each interface this one is the companion of.
  local here = tostring(interface.getId())
  for _, ifid in pairs(companion_interface_utils.getCurrentCompanionOf(interface.getId())) do
    interface.select(ifid)
    alerts_api.store(entity, info)
  end
  interface.select(here)
end

function handler.teardown()
  return true
end

return handler
