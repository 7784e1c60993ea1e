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

-- The record types that describe (a part of) a flow. The engine record
-- takes the 5-tuple, ids, and the counters and times of the record's
-- "flow" (flow, alert) or "netflow" object; the enrichers then add what a
-- transaction record carries.
local enrich = {}

local function no_counters() end

-- counters(ev) -> in_pkts, out_pkts, in_bytes, out_bytes, start, end
local counters = {
  flow = function(ev)
    local fl = ev.flow
    if type(fl) ~= "table" then return end
    return fl.pkts_toserver, fl.pkts_toclient, fl.bytes_toserver, fl.bytes_toclient, fl.start, fl["end"]
  end,
  netflow = function(ev)
    local nf = ev.netflow
    if type(nf) ~= "table" then return end
    return nf.pkts, nil, nf.bytes, nil, nf.start, nf["end"]
  end,
}
counters.alert = counters.flow
counters.dns = no_counters
counters.tls = no_counters
counters.http = no_counters
counters.fileinfo = no_counters

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
  -- Alerts about an HTTP/TLS/DNS transaction carry its metadata too.
  if type(ev.http) == "table" then enrich.http(ev, f) end
  if type(ev.tls) == "table" then enrich.tls(ev, f) end
  if type(ev.dns) == "table" then enrich.dns(ev, f) end
end

-- The keys each enricher may add, cleared before a record is reused.
local http_keys = { "http_site", "http_method", "http_ret_code", "http_url", "HTTP_USER_AGENT", "HTTP_MIME" }
local tls_keys = { "tls_server_name", "ja3c_hash", "ja3s_hash", "TLS_VERSION_NAME", "TLS_CERT_SUBJECT", "TLS_CERT_ISSUER" }
local dns_keys = { "dns_query", "DNS_QUERY_TYPE_NAME", "DNS_QUERY_ID", "DNS_RCODE" }
local function concat(...)
  local r = {}
  for _, l in ipairs({ ... }) do
    for _, k in ipairs(l) do r[#r + 1] = k end
  end
  return r
end
local extra_keys = {
  dns = dns_keys,
  tls = tls_keys,
  http = http_keys,
  fileinfo = concat(http_keys, { "FILE_NAME", "FILE_SIZE", "FILE_STATE" }),
  alert = concat(http_keys, tls_keys, dns_keys, { "external_alert" }),
}

-- One record table per event type, reused from event to event: every key
-- of the record is assigned (nil when the event lacks it) and what an
-- enricher added last time is cleared. interface.processFlow copies the
-- table into an engine record, and alerts copy the values they use, so
-- nothing keeps it past the event. (A new table per event cost about 30
-- allocations: gopher-lua indexes every new key twice.)
local records = {}

-- The engine record of an event with a 5-tuple (nil without one). A
-- counter or time the record lacks stays out of the table (a false one
-- too); a flow without times takes the event's timestamp.
local function flow_record(ev, et, get_counters)
  local src, dst = ev.src_ip, ev.dest_ip
  if type(src) ~= "string" or type(dst) ~= "string" then return nil end
  local vlan = ev.vlan
  if type(vlan) == "table" then vlan = vlan[1] end
  local in_pkts, out_pkts, in_bytes, out_bytes, first, last = get_counters(ev)
  local ts = ev.timestamp
  local f = records[et]
  if f == nil then
    f = {}
    records[et] = f
  else
    local extra = extra_keys[et]
    if extra then
      for i = 1, #extra do f[extra[i]] = nil end
    end
  end
  f.src_ip = src
  f.dst_ip = dst
  f.src_port = tonumber(ev.src_port) or 0
  f.dst_port = tonumber(ev.dest_port) or 0
  f.l4_proto = ev.proto or 0
  f.vlan_id = tonumber(vlan) or 0
  f.in_pkts = in_pkts or nil
  f.out_pkts = out_pkts or nil
  f.in_bytes = in_bytes or nil
  f.out_bytes = out_bytes or nil
  f.first_switched_iso8601 = first or ts
  f.last_switched_iso8601 = last or ts
  f.SURICATA_FLOW_ID = ev.flow_id
  f.SURICATA_APP_PROTO = ev.app_proto
  f.COMMUNITY_ID = ev.community_id
  return f
end

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
local seen_conf
function handler.hooks.handleEvent(syslog_conf, message, host, priority)
  if syslog_conf ~= seen_conf then
    -- The runtime passes the same configuration table to every call.
    seen_conf = syslog_conf
    local conf = syslog_conf and syslog_conf.suricata and syslog_conf.suricata.all
    if conf and conf.script_conf and conf.script_conf.alerts == false then
      store_alerts = false
    end
  end

  local ev = json.decode(message)
  if type(ev) ~= "table" then
    interface.incSyslogStats(1, 1, 0, 0, 0, 0)   -- malformed
    return
  end
  local et = ev.event_type
  local get_counters = counters[et]
  local f = get_counters and flow_record(ev, et, get_counters)
  if f == nil then
    -- stats, anomaly, records without a 5-tuple: not flows
    interface.incSyslogStats(1, 0, 1, 0, 0, 0)
    return
  end
  local fill = enrich[et]
  if fill then fill(ev, f) end
  local alerts = 0
  if et == "alert" and store_alert(ev, f) then alerts = 1 end
  interface.processFlow(f)
  interface.incSyslogStats(1, 0, 0, alerts, 0, 1)
end

function handler.teardown()
  return true
end

return handler
