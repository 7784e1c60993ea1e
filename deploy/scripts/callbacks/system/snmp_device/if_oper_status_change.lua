--
-- if_oper_status_change.lua: flowgate's SNMP interface status script.
-- Written for flowgate.
--
-- When an interface's ifOperStatus differs from the one seen at the
-- previous run (up -> down, down -> up, ...), an alert_port_status_change
-- is stored on the interface (entity snmp_device, value "<device>_ifidx<n>").
-- Interfaces the operator shut down (ifAdminStatus down) are ignored unless
-- script_conf.include_admin_down is true.
--

local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  granularities = { "min" },
  default_value = { include_admin_down = false },
  hooks = {},
  gui = {
    i18n_title = "Interface status change",
    i18n_description = "Alert when an SNMP interface goes up or down",
  },
}

function script.hooks.snmpDeviceInterface(device_ip, if_index, info)
  local prev, cur = info.prev_oper_status, info.oper_status
  if prev == nil or cur == nil or prev == cur then return end
  local conf = info.conf or {}
  if info.admin_status == 2 and not conf.include_admin_down then return end
  local sev = alert_consts.alert_severities.warning
  if cur == 1 then sev = alert_consts.alert_severities.notice end
  local t = alert_consts.alert_types.alert_port_status_change.create(sev,
    alert_consts.alerts_granularities[info.granularity],
    { device = device_ip, if_index = if_index, if_name = info.name, status = info.status, prev_status = info.prev_status })
  alerts_api.store(info.alert_entity, t)
end

return script
