-- flow_consts for flowgate: ntopng 4.2 flow statuses (stable keys from
-- flow_keys.lua) with their alert type and severity, and create(...)
-- builders returning the status_info flow.triggerStatus takes.
local alert_consts = require("alert_consts")

local flow_consts = {}

-- Scores are clamped to [0, max_score].
flow_consts.max_score = 1024

function flow_consts.clamp_score(s)
  s = tonumber(s) or 0
  if s < 0 then return 0 end
  if s > flow_consts.max_score then return flow_consts.max_score end
  return s
end

-- { key, name, alert type, severity }
local status_defs = {
  { 0, "status_normal", "alert_none", "info" },
  { 1, "status_blacklisted", "alert_flow_blacklisted", "error" },
  { 2, "status_blacklisted_country", "alert_blacklisted_country", "error" },
  { 3, "status_blocked", "alert_flow_blocked", "info" },
  { 4, "status_data_exfiltration", "alert_flow_misbehaviour", "error" },
  { 5, "status_device_protocol_not_allowed", "alert_device_protocol_not_allowed", "error" },
  { 6, "status_dns_data_exfiltration", "alert_flow_misbehaviour", "error" },
  { 7, "status_dns_invalid_query", "alert_suspicious_activity", "error" },
  { 8, "status_elephant_local_to_remote", "alert_flow_misbehaviour", "error" },
  { 9, "status_elephant_remote_to_local", "alert_flow_misbehaviour", "error" },
  { 10, "status_external_alert", "alert_external", "error" },
  { 11, "status_longlived", "alert_flow_misbehaviour", "error" },
  { 12, "status_low_goodput", "alert_connection_issues", "info" },
  { 13, "status_malicious_signature", "alert_malicious_signature", "warning" },
  { 14, "status_not_purged", "alert_internals", "error" },
  { 15, "status_potentially_dangerous", "alert_potentially_dangerous_protocol", "error" },
  { 16, "status_remote_to_remote", "alert_remote_to_remote", "notice" },
  { 17, "status_suspicious_tcp_probing", "alert_suspicious_activity", "info" },
  { 18, "status_suspicious_tcp_syn_probing", "alert_suspicious_activity", "info" },
  { 19, "status_tcp_connection_issues", "alert_connection_issues", "notice" },
  { 20, "status_tcp_connection_refused", "alert_suspicious_activity", "info" },
  { 21, "status_tcp_severe_connection_issues", "alert_connection_issues", "warning" },
  { 22, "status_tls_certificate_expired", "alert_potentially_dangerous_protocol", "error" },
  { 23, "status_tls_certificate_mismatch", "alert_potentially_dangerous_protocol", "error" },
  { 24, "status_tls_old_protocol_version", "alert_potentially_dangerous_protocol", "error" },
  { 25, "status_tls_unsafe_ciphers", "alert_potentially_dangerous_protocol", "error" },
  { 26, "status_udp_unidirectional", "alert_udp_unidirectional", "notice" },
  { 27, "status_web_mining_detected", "alert_web_mining", "error" },
  { 28, "status_tls_certificate_selfsigned", "alert_potentially_dangerous_protocol", "error" },
  { 29, "status_suspicious_file_transfer", "alert_suspicious_file_transfer", "error" },
  { 30, "status_known_proto_on_non_std_port", "alert_known_proto_on_non_std_port", "info" },
  { 31, "status_flow_risk", "alert_flow_risk", "warning" },
  { 32, "status_unexpected_dhcp_server", "alert_unexpected_dhcp_server", "error" },
  { 33, "status_unexpected_dns_server", "alert_unexpected_dns_server", "error" },
  { 34, "status_unexpected_smtp_server", "alert_unexpected_smtp_server", "error" },
  { 35, "status_unexpected_ntp_server", "alert_unexpected_ntp_server", "error" },
  { 59, "status_user_01", "alert_user_01", "error" },
  { 60, "status_user_02", "alert_user_02", "error" },
  { 61, "status_user_03", "alert_user_03", "error" },
  { 62, "status_user_04", "alert_user_04", "error" },
  { 63, "status_user_05", "alert_user_05", "error" },
}

flow_consts.status_types = {}
-- flow_consts.status_keys.ntopng.<name> = key, as flow_keys.lua has it.
flow_consts.status_keys = { ntopng = {}, user = {} }
local status_by_key = {}

-- loadDefinition registers a status ({status_key, alert_type, alert_severity,
-- i18n_title, i18n_description}) and gives it create(...).
function flow_consts.loadDefinition(def, name)
  local key = def.status_key
  if type(key) == "table" then
    key = (tonumber(key[1]) or 0) * 65536 + (tonumber(key[2]) or 0)
  end
  if key == nil then return false end
  def.status_key = key
  def.status_id = key -- 4.0 name
  name = name or def.key or ("status_" .. tostring(key))
  def.key = name
  def.create = function(...)
    local r
    if def.alert_type ~= nil and def.alert_type.create ~= nil then
      r = def.alert_type.create(...)
    else
      r = { alert_type_params = {} }
    end
    if r.alert_severity == nil then r.alert_severity = def.alert_severity end
    r.status_type = def
    return r
  end
  flow_consts.status_types[name] = def
  status_by_key[key] = def
  if key >= 59 and key <= 63 then
    flow_consts.status_keys.user[name] = key
  else
    flow_consts.status_keys.ntopng[name] = key
  end
  return true
end

for _, d in ipairs(status_defs) do
  flow_consts.loadDefinition({
    status_key = d[1],
    alert_type = alert_consts.alert_types[d[3]],
    alert_severity = alert_consts.alert_severities[d[4]],
    i18n_title = "flow_details." .. d[2],
  }, d[2])
end

function flow_consts.getStatusType(key)
  return status_by_key[tonumber(key)]
end

function flow_consts.getStatusTitle(key)
  local s = status_by_key[tonumber(key)]
  if s == nil then return tostring(key) end
  return (string.gsub(string.gsub(s.key, "^status_", ""), "_", " "))
end

function flow_consts.getStatusDescription(key, info)
  return flow_consts.getStatusTitle(key)
end

return flow_consts
