-- alerts_api for flowgate: the ntopng 4.2 alerts API user scripts call.
-- Entity builders, trigger/release/store, checkThresholdAlert, the
-- *_delta_val helpers. Alerts go to flowgate's alert store through the
-- Go-backed flowgate_alerts module, which knows the running hook (ifid,
-- script, subdir).
require "lua_utils"
local alert_consts = require("alert_consts")
local json = require("dkjson")
local bridge = require("flowgate_alerts")

local alerts_api = {}

local current_script = nil
local current_confset_id = 0

-- ##############################################
-- Entity builders: {alert_entity = <entity def>, alert_entity_val = string}.

local function entity(name, val)
  return { alert_entity = alert_consts.alert_entities[name], alert_entity_val = tostring(val) }
end

function alerts_api.hostAlertEntity(ip, vlan)
  vlan = tonumber(vlan) or 0
  return entity("host", tostring(ip) .. "@" .. math.floor(vlan))
end

function alerts_api.interfaceAlertEntity(ifid)
  return entity("interface", string.format("%d", tonumber(ifid) or -1))
end

function alerts_api.networkAlertEntity(network_cidr)
  return entity("network", network_cidr)
end

function alerts_api.snmpDeviceEntity(snmp_device)
  return entity("snmp_device", snmp_device)
end

function alerts_api.snmpInterfaceEntity(snmp_device, snmp_interface)
  return entity("snmp_device", string.format("%s_ifidx%s", snmp_device, tostring(snmp_interface)))
end

function alerts_api.macEntity(mac) return entity("mac", mac) end
function alerts_api.userEntity(user) return entity("user", user) end
function alerts_api.processEntity(process) return entity("process", process) end
function alerts_api.hostPoolEntity(pool_id) return entity("host_pool", pool_id) end
function alerts_api.periodicActivityEntity(path) return entity("periodic_activity", path) end
function alerts_api.amThresholdCrossEntity(host) return entity("am_host", host) end
function alerts_api.pingedHostEntity(host) return entity("am_host", host) end
function alerts_api.categoryListsEntity(list_name) return entity("category_lists", list_name) end
function alerts_api.influxdbEntity(url) return entity("influx_db", url) end
function alerts_api.iec104Entity(flow) return entity("flow", "flow") end

-- ##############################################
-- Helpers.

local function entity_id(entity_info)
  local e = entity_info.alert_entity
  if type(e) == "table" then return e.entity_id end
  return tonumber(e)
end

local function severity_id(s)
  if type(s) == "table" then return s.severity_id end
  return tonumber(s)
end

local function granularity_secs(g)
  if g == nil then return 0 end
  if type(g) == "table" then return g.granularity_seconds or 0 end
  if type(g) == "string" then return alert_consts.granularity2sec(g) end
  return tonumber(g) or 0
end

local function type_key(t)
  if type(t) == "table" then return t.alert_key or (t.meta and t.meta.alert_key) end
  return tonumber(t)
end

local function category_id(script)
  if script ~= nil and type(script.category) == "table" then return script.category.id end
  return 0
end

-- addAlertGenerationInfo(params, script, confset_id): record which script
-- raised the alert, as 4.2 does in alert_json.
function alerts_api.addAlertGenerationInfo(alert_json, script, confset_id)
  if alert_json == nil then return end
  local c = bridge.context()
  local key = (script and script.key) or c.script
  local subdir = (script and script.subdir) or c.subdir
  if key ~= nil and key ~= "" then
    alert_json.alert_generation = { script_key = key, subdir = subdir, confset_id = confset_id or current_confset_id or 0 }
  end
end

local function encode_params(type_info)
  local params = {}
  for k, v in pairs(type_info.alert_type_params or {}) do params[k] = v end
  alerts_api.addAlertGenerationInfo(params, current_script, current_confset_id)
  local ok, s = pcall(json.encode, params)
  if not ok then return "{}" end
  return s
end

local function matches(a, atype, sev, gsec, subtype)
  return a.alert_type == atype and (sev == nil or a.alert_severity == sev)
    and a.alert_granularity == gsec and (a.alert_subtype or "") == subtype
end

-- ##############################################
-- trigger / release / store.

-- trigger(entity_info, type_info[, when[, cur_alerts]]) engages the alert.
-- A match in cur_alerts (the entity's engaged alerts given to the hook) is
-- removed from it, which marks it re-confirmed for this run.
function alerts_api.trigger(entity_info, type_info, when, cur_alerts)
  if not areAlertsEnabled() then return false end
  if entity_info == nil or type_info == nil or type_info.alert_type == nil then
    traceError(TRACE_ERROR, TRACE_CONSOLE, "alerts_api.trigger: missing entity_info or type_info.alert_type")
    return false
  end
  if type_info.alert_granularity == nil then
    traceError(TRACE_ERROR, TRACE_CONSOLE, "alerts_api.trigger: alert_granularity is required")
    return false
  end
  local sev = severity_id(type_info.alert_severity)
  if sev == nil then
    traceError(TRACE_ERROR, TRACE_CONSOLE, "alerts_api.trigger: missing alert_severity")
    return false
  end
  local atype = type_key(type_info.alert_type)
  local gsec = granularity_secs(type_info.alert_granularity)
  local subtype = type_info.alert_subtype or ""
  if cur_alerts ~= nil then
    for i = #cur_alerts, 1, -1 do
      if matches(cur_alerts[i], atype, sev, gsec, subtype) then
        table.remove(cur_alerts, i)
      end
    end
  end
  return bridge.trigger(entity_id(entity_info), entity_info.alert_entity_val, atype, subtype, sev, gsec,
    when, encode_params(type_info), category_id(current_script))
end

-- release(entity_info, type_info[, when[, cur_alerts]]) releases the alert
-- when engaged. With cur_alerts and no match there, nothing is done.
function alerts_api.release(entity_info, type_info, when, cur_alerts)
  if entity_info == nil or type_info == nil or type_info.alert_type == nil then
    return false
  end
  local atype = type_key(type_info.alert_type)
  local gsec = granularity_secs(type_info.alert_granularity)
  local subtype = type_info.alert_subtype or ""
  if cur_alerts ~= nil then
    local found = false
    for i = #cur_alerts, 1, -1 do
      if matches(cur_alerts[i], atype, nil, gsec, subtype) then
        table.remove(cur_alerts, i)
        found = true
      end
    end
    if not found then return true end
  end
  bridge.release(entity_id(entity_info), entity_info.alert_entity_val, atype, subtype, gsec, when)
  return true
end

-- store(entity_info, type_info[, when]) records a one-shot alert.
function alerts_api.store(entity_info, type_info, when)
  if not areAlertsEnabled() then return false end
  if entity_info == nil or type_info == nil or type_info.alert_type == nil then
    traceError(TRACE_ERROR, TRACE_CONSOLE, "alerts_api.store: missing entity_info or type_info.alert_type")
    return false
  end
  local sev = severity_id(type_info.alert_severity) or alert_consts.alert_severities.error.severity_id
  return bridge.store(entity_id(entity_info), entity_info.alert_entity_val, type_key(type_info.alert_type),
    type_info.alert_subtype or "", sev, granularity_secs(type_info.alert_granularity), when,
    encode_params(type_info), category_id(current_script))
end

-- getEngagedAlerts / releaseEntityAlerts(entity_info[, alerts]).
function alerts_api.getEntityAlerts(entity_info)
  return bridge.engaged(entity_id(entity_info), entity_info.alert_entity_val)
end

function alerts_api.releaseEntityAlerts(entity_info, alerts)
  if alerts == nil then
    alerts = bridge.engaged(entity_id(entity_info), entity_info.alert_entity_val)
  end
  for _, a in ipairs(alerts) do
    bridge.release(entity_id(entity_info), entity_info.alert_entity_val, a.alert_type,
      a.alert_subtype or "", a.alert_granularity or 0, nil)
  end
end

function alerts_api.releaseAllAlerts(entity_info)
  alerts_api.releaseEntityAlerts(entity_info)
end

-- 4.0: suppressed alerts do not exist in flowgate.
function alerts_api.hasSuppressedAlerts() return false end
function alerts_api.hasEntitySilencedAlerts() return false end

-- ##############################################
-- Threshold and anomaly checks.

local operator_functions = {
  gt = function(value, threshold) return value > threshold end,
  lt = function(value, threshold) return value < threshold end,
}
alerts_api.operator_functions = operator_functions

-- checkThresholdAlert(params, alert_type, value): trigger when the
-- configured operator holds, release otherwise.
function alerts_api.checkThresholdAlert(params, alert_type, value, ...)
  local script = params.user_script or {}
  local conf = params.user_script_config or {}
  local key = script.key or bridge.context().script
  local op = conf.operator or "gt"
  local threshold = tonumber(conf.threshold)
  local gran = alert_consts.alerts_granularities[params.granularity]
  local type_info = alert_type.create(alert_consts.alert_severities.error, key, gran, key, value, op, threshold, ...)
  if threshold == nil or value == nil then
    return alerts_api.release(params.alert_entity, type_info, params.when, params.cur_alerts)
  end
  local check = operator_functions[op] or operator_functions.gt
  if check(tonumber(value) or 0, threshold) then
    return alerts_api.trigger(params.alert_entity, type_info, params.when, params.cur_alerts)
  end
  return alerts_api.release(params.alert_entity, type_info, params.when, params.cur_alerts)
end

-- anomaly_check_function(params): trigger while the entity reports the
-- script's anomaly, release otherwise.
function alerts_api.anomaly_check_function(params)
  local script = params.user_script or {}
  local anomalies = (params.entity_info and params.entity_info.anomalies) or {}
  local anomal = anomalies[script.key]
  local builder = script.anomaly_type_builder
  local type_info
  if builder ~= nil then
    type_info = builder(alert_consts.alert_severities.error, script.key, anomal)
  else
    type_info = alert_consts.alert_types.alert_threshold_cross.create(alert_consts.alert_severities.error, script.key,
      alert_consts.alerts_granularities[params.granularity], script.key, anomal, "gt", 0)
  end
  if type_info.alert_granularity == nil then
    type_info.alert_granularity = alert_consts.alerts_granularities[params.granularity]
  end
  if type_info.alert_subtype == nil then type_info.alert_subtype = script.key end
  if anomal then
    return alerts_api.trigger(params.alert_entity, type_info, params.when, params.cur_alerts)
  end
  return alerts_api.release(params.alert_entity, type_info, params.when, params.cur_alerts)
end

-- ##############################################
-- Deltas between runs. The previous value lives with the entity when the
-- API provides get/setCachedAlertValue, else in this state keyed by entity.

local own_cache = {}

local function delta_val(api, kind, metric, granularity, curr_value, skip_first)
  local gid = alert_consts.granularity2id(granularity)
  if gid == 0 then gid = tonumber(granularity) or 0 end
  local key = string.format("%s:%s", tostring(metric), tostring(gid))
  curr_value = tonumber(curr_value) or 0
  local prev
  if api ~= nil and type(api.getCachedAlertValue) == "function" and type(api.setCachedAlertValue) == "function" then
    local s = api.getCachedAlertValue(key, gid)
    prev = tonumber(s)
    api.setCachedAlertValue(key, tostring(curr_value), gid)
  else
    local c = bridge.context()
    local ek = kind .. "|" .. tostring(c.ifid) .. "|" .. tostring(c.entity) .. "|" .. key
    prev = own_cache[ek]
    own_cache[ek] = curr_value
  end
  if prev == nil then
    if skip_first then return 0 end
    return curr_value
  end
  return curr_value - prev
end

function alerts_api.host_delta_val(metric, granularity, curr_value, skip_first)
  return delta_val(rawget(_G, "host"), "host", metric, granularity, curr_value, skip_first)
end

function alerts_api.interface_delta_val(metric, granularity, curr_value, skip_first)
  return delta_val(rawget(_G, "interface"), "interface", metric, granularity, curr_value, skip_first)
end

function alerts_api.network_delta_val(metric, granularity, curr_value, skip_first)
  return delta_val(rawget(_G, "network"), "network", metric, granularity, curr_value, skip_first)
end

-- application_bytes(info, app_name) / category_bytes(info, cat_name):
-- sent + received from the entity's ndpi tables.
function alerts_api.application_bytes(info, application_name)
  local v = info and info["ndpi"] and info["ndpi"][application_name]
  if v == nil then return 0 end
  return (v["bytes.sent"] or 0) + (v["bytes.rcvd"] or 0)
end

function alerts_api.category_bytes(info, category_name)
  local v = info and info["ndpi_categories"] and info["ndpi_categories"][category_name]
  if v == nil then return 0 end
  return (v["bytes.sent"] or 0) + (v["bytes.rcvd"] or 0)
end

-- ##############################################
-- Runner helpers.

-- invokeScriptHook(script, confset_id, fn, ...) runs a hook with the script
-- recorded as the origin of the alerts it raises.
function alerts_api.invokeScriptHook(script, confset_id, hook_fn, p1, p2, p3)
  local prev_script, prev_confset = current_script, current_confset_id
  current_script, current_confset_id = script, confset_id or 0
  local ok, r = pcall(hook_fn, p1, p2, p3)
  current_script, current_confset_id = prev_script, prev_confset
  if not ok then error(r, 0) end
  return r
end

function alerts_api.setCurrentScript(script, confset_id)
  current_script, current_confset_id = script, confset_id or 0
end

function alerts_api.getCurrentScript()
  return current_script
end

return alerts_api
