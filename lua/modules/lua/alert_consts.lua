-- alert_consts for flowgate: ntopng 4.2 alert severities, entities,
-- granularities and alert types (stable numeric keys from alert_keys), each
-- type with a create(...) builder returning the type_info alerts_api takes.
local keys = require("alert_keys")

local alert_consts = {}

local function firstUpper(s)
  return (string.gsub(tostring(s), "^%l", string.upper))
end

-- ##############################################
-- Severities (4.2: eight, syslog priorities 7..0).

local sev_defs = {
  { "debug",     1, 7, "bg-info",    "#a8e4ef" },
  { "info",      2, 6, "bg-info",    "#17a2b8" },
  { "notice",    3, 5, "bg-info",    "#17a2b8" },
  { "warning",   4, 4, "bg-warning", "#ffc107" },
  { "error",     5, 3, "bg-danger",  "#dc3545" },
  { "critical",  6, 2, "bg-danger",  "#c82333" },
  { "alert",     7, 1, "bg-danger",  "#bd2130" },
  { "emergency", 8, 0, "bg-danger",  "#b21f2d" },
}

alert_consts.alert_severities = {}
local severity_by_id = {}
for _, d in ipairs(sev_defs) do
  local s = {
    severity_id = d[2],
    syslog_severity = d[3],
    label = d[4],
    color = d[5],
    i18n_title = "alerts_dashboard." .. d[1],
    name = d[1],
  }
  alert_consts.alert_severities[d[1]] = s
  severity_by_id[d[2]] = s
end

function alert_consts.alertSeverityRaw(id)
  local s = severity_by_id[tonumber(id)]
  return s and s.name or nil
end

function alert_consts.alertSeverity(name)
  local s = alert_consts.alert_severities[name]
  return s and s.severity_id or nil
end

function alert_consts.alertSeverityById(id)
  return severity_by_id[tonumber(id)]
end

-- The syslog level (0 emergency .. 7 debug) of a severity id, as the
-- syslog endpoint writes it; 6 (info) for an unknown id.
function alert_consts.alertLevelToSyslogLevel(id)
  local s = severity_by_id[tonumber(id)]
  return s and s.syslog_severity or 6
end

function alert_consts.alertSeverityLabel(id, nohtml)
  local s = severity_by_id[tonumber(id)]
  if s == nil then return "" end
  local title = firstUpper(s.name)
  if nohtml then return title end
  return "<span class='badge " .. s.label .. "'>" .. title .. "</span>"
end

function alert_consts.get_printable_severities()
  local r = {}
  for name, s in pairs(alert_consts.alert_severities) do r[name] = s end
  return r
end

-- ##############################################
-- Entities.

local entity_defs = {
  { "interface", 0, "Interface" }, { "host", 1, "Host" }, { "network", 2, "Network" },
  { "snmp_device", 3, "SNMP Device" }, { "flow", 4, "Flow" }, { "mac", 5, "Device" },
  { "host_pool", 6, "Host Pool" }, { "process", 7, "Process" }, { "user", 8, "User" },
  { "influx_db", 9, "Influx DB" }, { "test", 10, "Test" }, { "category_lists", 11, "Category Lists" },
  { "am_host", 12, "Active Monitoring Host" }, { "periodic_activity", 13, "Periodic Activity" },
}

alert_consts.alert_entities = {}
local entity_by_id = {}
for _, d in ipairs(entity_defs) do
  local e = { entity_id = d[2], label = d[3], i18n_label = "alert_entities." .. d[1], name = d[1] }
  alert_consts.alert_entities[d[1]] = e
  entity_by_id[d[2]] = e
end
-- 4.0 name of am_host
alert_consts.alert_entities.pinged_host = alert_consts.alert_entities.am_host

function alert_consts.alertEntityRaw(id)
  local e = entity_by_id[tonumber(id)]
  return e and e.name or nil
end

function alert_consts.alertEntity(name)
  local e = alert_consts.alert_entities[name]
  return e and e.entity_id or nil
end

function alert_consts.alertEntityById(id)
  return entity_by_id[tonumber(id)]
end

function alert_consts.alertEntityLabel(id)
  local e = entity_by_id[tonumber(id)]
  return e and e.label or ""
end

-- ##############################################
-- Granularities.

alert_consts.alerts_granularities = {
  min   = { granularity_id = 1, granularity_seconds = 60,    i18n_title = "show_alerts.minute",  i18n_description = "alerts_thresholds_config.every_minute" },
  ["5mins"] = { granularity_id = 2, granularity_seconds = 300,   i18n_title = "show_alerts.5_min",   i18n_description = "alerts_thresholds_config.every_5_minutes" },
  hour  = { granularity_id = 3, granularity_seconds = 3600,  i18n_title = "show_alerts.hourly",  i18n_description = "alerts_thresholds_config.hourly" },
  day   = { granularity_id = 4, granularity_seconds = 86400, i18n_title = "show_alerts.daily",   i18n_description = "alerts_thresholds_config.daily" },
}
for name, g in pairs(alert_consts.alerts_granularities) do g.name = name end

function alert_consts.alertGranularity(name)
  local g = alert_consts.alerts_granularities[name]
  return g and g.granularity_id or nil
end

function alert_consts.sec2granularity(seconds)
  seconds = tonumber(seconds)
  for name, g in pairs(alert_consts.alerts_granularities) do
    if g.granularity_seconds == seconds then return name end
  end
  return nil
end

function alert_consts.granularity2sec(name)
  local g = alert_consts.alerts_granularities[name]
  return g and g.granularity_seconds or 0
end

function alert_consts.granularity2id(name)
  local g = alert_consts.alerts_granularities[name]
  return g and g.granularity_id or 0
end

function alert_consts.getAlertGranularity(id)
  id = tonumber(id)
  for name, g in pairs(alert_consts.alerts_granularities) do
    if g.granularity_id == id then return g end
  end
  return nil
end

-- ##############################################
-- Alert types.

local function is_severity(v)
  return type(v) == "table" and v.severity_id ~= nil
end

local function is_granularity(v)
  return type(v) == "table" and v.granularity_seconds ~= nil
end

-- Threshold-like creators (4.2 signature):
-- create(severity, subtype, granularity, metric, value, operator, threshold).
local function threshold_creator(alert_severity, alert_subtype, alert_granularity, metric, value, operator, threshold)
  return {
    alert_severity = alert_severity,
    alert_subtype = alert_subtype,
    alert_granularity = alert_granularity,
    alert_type_params = { metric = metric, value = value, operator = operator, threshold = threshold },
  }
end

-- Every other type: recognise severity and granularity tables wherever they
-- are, the first string as subtype, merge other tables into the parameters
-- and keep the remaining scalars as params.args, so that alerts keep their
-- severity and granularity whatever the creator signature of the original.
local function generic_creator(...)
  local r = { alert_type_params = {} }
  local args = {}
  local n = select("#", ...)
  for i = 1, n do
    local v = select(i, ...)
    if is_severity(v) and r.alert_severity == nil then
      r.alert_severity = v
    elseif is_granularity(v) and r.alert_granularity == nil then
      r.alert_granularity = v
    elseif type(v) == "table" then
      for k, x in pairs(v) do r.alert_type_params[k] = x end
    elseif type(v) == "string" and r.alert_subtype == nil and r.alert_severity ~= nil then
      r.alert_subtype = v
    elseif v ~= nil then
      args[#args + 1] = v
    end
  end
  if #args > 0 then r.alert_type_params.args = args end
  return r
end

-- Types whose 4.2 definition has its own creator signature.
local own_creators = {
  -- alert_host_log (4.2's host_log.lua): create(subtype, severity, host,
  -- level, facility, message); the level is not kept, as in ntopng.
  alert_host_log = function(subtype, severity, host, level, facility, message)
    return {
      alert_severity = severity,
      alert_subtype = subtype,
      alert_type_params = { host = host, facility = facility, message = message },
    }
  end,
}

local threshold_types = {
  alert_threshold_cross = true, alert_tcp_syn_flood = true, alert_tcp_syn_scan = true,
  alert_flows_flood = true, alert_am_threshold_cross = true, alert_too_many_drops = true,
}

alert_consts.alert_types = {}
local type_by_id = {}

-- alert_consts.loadDefinition(def): register a definition as 4.2's plugins
-- do ({alert_key, i18n_title, i18n_description, icon, creator}); returns true.
function alert_consts.loadDefinition(def, name)
  local id = def.alert_key
  if type(id) == "table" then
    -- {PEN, key}: (PEN << 16) + key
    id = (tonumber(id[1]) or 0) * 65536 + (tonumber(id[2]) or 0)
  end
  if id == nil then return false end
  def.alert_key = id
  def.alert_id = id -- 4.0 name
  def.meta = def.meta or { alert_key = id }
  name = name or def.key or ("alert_" .. tostring(id))
  def.key = name
  local creator = def.creator
  def.create = function(...)
    local r
    if creator ~= nil then r = creator(...) else r = generic_creator(...) end
    r = r or {}
    r.alert_type = def
    if r.alert_type_params == nil then r.alert_type_params = {} end
    return r
  end
  alert_consts.alert_types[name] = def
  type_by_id[id] = def
  return true
end

for name, id in pairs(keys.ntopng) do
  alert_consts.loadDefinition({
    alert_key = id,
    i18n_title = "alerts_dashboard." .. string.gsub(name, "^alert_", ""),
    icon = "fas fa-exclamation",
    creator = own_creators[name] or (threshold_types[name] and threshold_creator) or nil,
  }, name)
end
for name, id in pairs(keys.user) do
  alert_consts.loadDefinition({ alert_key = id, i18n_title = name, icon = "fas fa-exclamation" }, name)
end

function alert_consts.getAlertType(id)
  return type_by_id[tonumber(id)]
end

function alert_consts.alertTypeRaw(id)
  local t = type_by_id[tonumber(id)]
  return t and t.key or nil
end

function alert_consts.alertType(name)
  local t = alert_consts.alert_types[name]
  return t and t.alert_key or nil
end

function alert_consts.alertTypeLabel(id, nohtml)
  local t = type_by_id[tonumber(id)]
  if t == nil then return tostring(id) end
  local words = {}
  for w in string.gmatch(string.gsub(t.key, "^alert_", ""), "[^_]+") do
    words[#words + 1] = (string.gsub(w, "^%l", string.upper))
  end
  return table.concat(words, " ")
end

function alert_consts.getDefinititionDir() return "" end

alert_consts.MAX_NUM_QUEUED_ALERTS_PER_MODULE = 1024
alert_consts.ALL_ALERT_KEY = 0
alert_consts.SEVERITY_NONE = 0

return alert_consts
