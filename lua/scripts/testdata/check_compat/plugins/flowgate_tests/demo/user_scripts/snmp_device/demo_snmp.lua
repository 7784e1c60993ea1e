-- A 4.2-style SNMP device script: an alert when an interface goes down.
local alerts_api = require("alerts_api")
local alert_consts = require("alert_consts")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  default_enabled = true,
  hooks = {},
  gui = {
    i18n_title = "demo.snmp_if_down",
    i18n_description = "demo.snmp_if_down_descr",
  },
}

function script.hooks.snmpDeviceInterface(device_ip, if_index, info)
  if info.prev_oper_status == 1 and info.oper_status == 2 then
    alerts_api.store(info.alert_entity, alert_consts.alert_types.alert_snmp_interface_status_change.create(
      alert_consts.alert_severities.warning, device_ip, if_index, info.name, info.oper_status))
  end
end

return script
