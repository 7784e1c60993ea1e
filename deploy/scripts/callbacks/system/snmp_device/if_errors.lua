--
-- if_errors.lua: flowgate's SNMP interface errors script. Written for
-- flowgate.
--
-- Engages an alert_port_errors on an interface whose ifInErrors +
-- ifOutErrors grew by more than script_conf.threshold since the previous
-- poll; the alert is released at the first run where it no longer does.
--

local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  granularities = { "min" },
  default_value = { threshold = 10 },
  hooks = {},
  gui = {
    i18n_title = "Interface errors",
    i18n_description = "Alert when an SNMP interface counts more errors than a threshold between two polls",
  },
}

function script.hooks.snmpDeviceInterface(device_ip, if_index, info)
  local conf = info.conf or {}
  local threshold = tonumber(conf.threshold) or 10
  local errors = (info.in_errors_delta or 0) + (info.out_errors_delta or 0)
  if errors <= threshold then return end
  local t = alert_consts.alert_types.alert_port_errors.create(alert_consts.alert_severities.error,
    alert_consts.alerts_granularities[info.granularity],
    { device = device_ip, if_index = if_index, if_name = info.name, errors = errors, threshold = threshold,
      in_errors = info.in_errors_delta, out_errors = info.out_errors_delta })
  alerts_api.trigger(info.alert_entity, t)
end

return script
