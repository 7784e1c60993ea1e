--
-- if_utilization.lua: flowgate's SNMP interface load script. Written for
-- flowgate.
--
-- Engages an alert_port_load_threshold_exceeded on an interface whose
-- inbound or outbound rate over the last poll is above
-- script_conf.threshold percent of its speed; released when it drops back.
--

local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  granularities = { "min" },
  default_value = { threshold = 80 },
  hooks = {},
  gui = {
    i18n_title = "Interface utilisation",
    i18n_description = "Alert when an SNMP interface is loaded above a percentage of its speed",
  },
}

function script.hooks.snmpDeviceInterface(device_ip, if_index, info)
  local conf = info.conf or {}
  local threshold = tonumber(conf.threshold) or 80
  local in_u, out_u = info.in_utilization, info.out_utilization
  if in_u == nil or out_u == nil then return end -- speed unknown
  if in_u <= threshold and out_u <= threshold then return end
  local t = alert_consts.alert_types.alert_port_load_threshold_exceeded.create(alert_consts.alert_severities.warning,
    alert_consts.alerts_granularities[info.granularity],
    { device = device_ip, if_index = if_index, if_name = info.name, in_load = in_u, out_load = out_u,
      threshold = threshold })
  alerts_api.trigger(info.alert_entity, t)
end

return script
