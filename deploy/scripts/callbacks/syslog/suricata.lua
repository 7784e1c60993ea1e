--
-- suricata.lua: flowgate's handler for Suricata EVE JSON received over
-- syslog (Suricata's eve-log with filetype: syslog, or rsyslog forwarding
-- eve.json). Written for flowgate.
--
-- Every EVE record that carries a 5-tuple becomes an engine flow through
-- interface.processFlow, with what the record adds to it (DNS query, TLS
-- SNI and JA3, HTTP host/URL/method/status, file names). An "alert" record
-- also becomes a flow alert with Suricata's signature, category and
-- severity. Counters go to interface.incSyslogStats.
--
-- Configuration (syslog_conf.suricata.all.script_conf):
--   alerts = false     only inject flows, store no alerts
--

require "lua_utils"
local json = require("dkjson")
local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local user_scripts = require("user_scripts")

local handler = {
  category = user_scripts.script_categories.security,
  hooks = {},
  default_value = { alerts = true },
  gui = {
    i18n_title = "Suricata",
    i18n_description = "Flows and IDS alerts from Suricata EVE JSON over syslog",
  },
}

-- EVE severity: 1 is the most severe. Mapped onto ntopng's severities.
local severity_of = {
  [1] = alert_consts.alert_severities.error,
  [2] = alert_consts.alert_severities.warning,
  [3] = alert_consts.alert_severities.notice,
}

local store_alerts = true

function handler.setup()
  return true
end

-- The record types that describe (a part of) a flow, and what each adds.
local enrich = {}

function enrich.flow(ev, f)
  local fl = ev.flow
  if type(fl) ~= "table" then return end
  f.in_pkts = fl.pkts_toserver
  f.out_pkts = fl.pkts_toclient
  f.in_bytes = fl.bytes_toserver
  f.out_bytes = fl.bytes_toclient
  f.first_switched_iso8601 = fl.start
  f.last_switched_iso8601 = fl["end"]
end

function enrich.netflow(ev, f)
  local nf = ev.netflow
  if type(nf) ~= "table" then return end
  f.in_pkts = nf.pkts
  f.in_bytes = nf.bytes
  f.first_switched_iso8601 = nf.start
  f.last_switched_iso8601 = nf["end"]
end

function enrich.dns(ev, f)
  local d = ev.dns
  if type(d) ~= "table" then return end
  -- EVE v1 logs queries with type="query" and rrname; v2 answers nest
  -- queries in an array.
  local q = d
  if type(d.queries) == "table" and d.queries[1] then q = d.queries[1] end
  if q.rrname then f.dns_query = q.rrname end
  if q.rrtype then f.DNS_QUERY_TYPE_NAME = q.rrtype end
  f.DNS_QUERY_ID = d.id
  f.DNS_RCODE = d.rcode
end

function enrich.tls(ev, f)
  local t = ev.tls
  if type(t) ~= "table" then return end
  f.tls_server_name = t.sni
  if type(t.ja3) == "table" then f.ja3c_hash = t.ja3.hash end
  if type(t.ja3s) == "table" then f.ja3s_hash = t.ja3s.hash end
  f.TLS_VERSION_NAME = t.version
  f.TLS_CERT_SUBJECT = t.subject
  f.TLS_CERT_ISSUER = t.issuerdn
end

function enrich.http(ev, f)
  local h = ev.http
  if type(h) ~= "table" then return end
  f.http_site = h.hostname
  f.http_method = h.http_method
  f.http_ret_code = h.status
  if h.hostname and h.url then f.http_url = h.hostname .. h.url end
  f.HTTP_USER_AGENT = h.http_user_agent
  f.HTTP_MIME = h.http_content_type
end

function enrich.fileinfo(ev, f)
  if type(ev.http) == "table" then enrich.http(ev, f) end
  local fi = ev.fileinfo
  if type(fi) ~= "table" then return end
  f.FILE_NAME = fi.filename
  f.FILE_SIZE = fi.size
  f.FILE_STATE = fi.state
end

function enrich.alert(ev, f)
  enrich.flow(ev, f)
  -- Alerts about an HTTP/TLS/DNS transaction carry its metadata too.
  if type(ev.http) == "table" then enrich.http(ev, f) end
  if type(ev.tls) == "table" then enrich.tls(ev, f) end
  if type(ev.dns) == "table" then enrich.dns(ev, f) end
end

local function five_tuple(ev)
  if type(ev.src_ip) ~= "string" or type(ev.dest_ip) ~= "string" then return nil end
  local vlan = ev.vlan
  if type(vlan) == "table" then vlan = vlan[1] end
  -- All the usual keys in one constructor: the table is sized once
  -- instead of growing as the enrichers fill it (this runs per event).
  return {
    src_ip = ev.src_ip,
    dst_ip = ev.dest_ip,
    src_port = tonumber(ev.src_port) or 0,
    dst_port = tonumber(ev.dest_port) or 0,
    l4_proto = ev.proto or 0,
    vlan_id = tonumber(vlan) or 0,
    in_pkts = false, out_pkts = false, in_bytes = false, out_bytes = false,
    first_switched_iso8601 = false, last_switched_iso8601 = false,
    SURICATA_FLOW_ID = ev.flow_id,
    SURICATA_APP_PROTO = ev.app_proto,
    COMMUNITY_ID = ev.community_id,
  }
end

-- Placeholders still false after enrichment are removed before
-- processFlow (false would read as a value).
local placeholders = { "in_pkts", "out_pkts", "in_bytes", "out_bytes", "first_switched_iso8601", "last_switched_iso8601" }

local function store_alert(ev, f)
  local a = ev.alert
  if type(a) ~= "table" then return false end
  local sev = severity_of[tonumber(a.severity) or 3] or alert_consts.alert_severities.notice
  f.external_alert = json.encode({ source = "suricata", severity_id = sev.severity_id, alert = a })
  if not store_alerts then return true end
  local entity = {
    alert_entity = alert_consts.alert_entities.flow,
    alert_entity_val = string.format("%s:%d -> %s:%d", f.src_ip, f.src_port, f.dst_ip, f.dst_port),
  }
  alerts_api.store(entity, {
    alert_type = alert_consts.alert_types.alert_external,
    alert_subtype = tostring(a.signature_id or ""),
    alert_severity = sev,
    alert_type_params = {
      source = "suricata",
      signature = a.signature,
      signature_id = a.signature_id,
      rev = a.rev,
      category = a.category,
      severity = a.severity,
      action = a.action,
      cli_addr = f.src_ip, srv_addr = f.dst_ip,
      cli_port = f.src_port, srv_port = f.dst_port,
      proto = f.l4_proto,
      app_proto = ev.app_proto,
      flow_id = ev.flow_id,
      timestamp = ev.timestamp,
    },
  })
  return true
end

-- 4.2 signature: (syslog_conf, message, host, priority).
function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  local conf = syslog_conf and syslog_conf.suricata and syslog_conf.suricata.all
  if conf and conf.script_conf and conf.script_conf.alerts == false then
    store_alerts = false
  end

  local ev = json.decode(message)
  if type(ev) ~= "table" then
    interface.incSyslogStats(1, 1, 0, 0, 0, 0)   -- malformed
    return
  end
  local et = ev.event_type
  local fill = enrich[et]
  local f = fill and five_tuple(ev)
  if f == nil then
    -- stats, anomaly, records without a 5-tuple: not flows
    interface.incSyslogStats(1, 0, 1, 0, 0, 0)
    return
  end
  fill(ev, f)
  f.first_switched_iso8601 = f.first_switched_iso8601 or ev.timestamp
  f.last_switched_iso8601 = f.last_switched_iso8601 or ev.timestamp
  for i = 1, #placeholders do
    local k = placeholders[i]
    if not f[k] then f[k] = nil end
  end
  local alerts = 0
  if et == "alert" and store_alert(ev, f) then alerts = 1 end
  interface.processFlow(f)
  interface.incSyslogStats(1, 0, 0, alerts, 0, 1)
end

function handler.teardown()
  return true
end

return handler
