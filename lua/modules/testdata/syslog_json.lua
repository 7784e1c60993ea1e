-- A syslog handler in the 4.2 style: decode an Eve-like JSON event, keep
-- counts, store an alert for "alert" events.
require "lua_utils"
require "flow_utils"
local json = require("dkjson")
local alerts_api = require("alerts_api")
local alert_consts = require("alert_consts")
local user_scripts = require("user_scripts")

local m = { category = user_scripts.script_categories.security, hooks = {}, seen = 0, bad = 0 }

function m.hooks.handleEvent(conf, message, host, priority)
  local ev = json.decode(message)
  if ev == nil or type(ev) ~= "table" then
    m.bad = m.bad + 1
    return
  end
  m.seen = m.seen + 1
  if ev.event_type == "alert" then
    local sev = alert_consts.alert_severities.error
    if ev.alert.severity ~= nil and ev.alert.severity > 1 then sev = alert_consts.alert_severities.warning end
    alerts_api.store(alerts_api.hostAlertEntity(ev.src_ip, tonumber(ev.vlan) or 0), {
      alert_type = alert_consts.alert_types.alert_external,
      alert_severity = sev,
      alert_subtype = "suricata",
      alert_type_params = { signature = ev.alert.signature, dns_type = get_dns_type("AAAA") },
    })
  end
end

return m
