-- alert_utils for flowgate: the text of an alert notification, as ntopng's
-- endpoints (syslog, e-mail, shell) write it from the notification JSON
-- (alert_type, alert_severity, alert_entity, alert_entity_val,
-- alert_tstamp, alert_json).
require "lua_utils"
local alert_consts = require "alert_consts"
local json = require "dkjson"

local alert_utils = {}

local function decoded_params(alert)
  local p = alert.alert_json
  if type(p) == "string" and p ~= "" then
    p = json.decode(p)
  end
  if type(p) ~= "table" then p = {} end
  return p
end

-- The message of an alert: its type's i18n_description (a function of
-- (ifid, alert, params), as 4.2's alert definitions give it) when it has
-- one, else the type's label followed by its parameters "k=v" in key order.
function alert_utils.formatAlertMessage(ifid, alert)
  local params = decoded_params(alert)
  local t = alert_consts.getAlertType(alert.alert_type)
  if t ~= nil and type(t.i18n_description) == "function" then
    local ok, msg = pcall(t.i18n_description, ifid, alert, params)
    if ok and msg ~= nil then return tostring(msg) end
  end
  local parts = {}
  for k, v in pairsByKeys(params) do
    if type(v) ~= "table" then parts[#parts + 1] = tostring(k) .. "=" .. tostring(v) end
  end
  local label = alert_consts.alertTypeLabel(alert.alert_type, true)
  if #parts == 0 then return label end
  return label .. ": " .. table.concat(parts, ", ")
end

-- formatAlertNotification(notif, options): one line of text. options:
-- nohtml (always: flowgate writes no HTML), show_severity, show_entity.
-- "[10/11/2026 12:00:00][Error][Host 10.1.2.3@0] Host Log: facility=auth, ..."
function alert_utils.formatAlertNotification(notif, options)
  options = options or {}
  if type(notif) == "string" then notif = json.decode(notif) or {} end
  local out = {}
  local when = tonumber(notif.alert_tstamp_end) or 0
  if when == 0 then when = tonumber(notif.alert_tstamp or notif.tstamp) or 0 end
  if when > 0 then out[#out + 1] = "[" .. formatEpoch(when) .. "]" end
  if options.show_severity then
    local sev = notif.alert_severity or notif.severity
    out[#out + 1] = "[" .. alert_consts.alertSeverityLabel(sev, true) .. "]"
  end
  if options.show_entity then
    local ent = alert_consts.alertEntityLabel(notif.alert_entity or notif.entity_id)
    local val = notif.alert_entity_val or notif.entity_val
    if val ~= nil and val ~= "" then ent = ent .. " " .. tostring(val) end
    out[#out + 1] = "[" .. ent .. "]"
  end
  local msg = alert_utils.formatAlertMessage(notif.ifid, notif)
  return table.concat(out) .. (#out > 0 and " " or "") .. msg
end

return alert_utils
