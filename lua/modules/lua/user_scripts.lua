-- user_scripts for flowgate: what ntopng 4.2 scripts read from
-- require("user_scripts") (categories, script types, field units, GUI
-- templates, default configuration helpers). Loading and running scripts
-- is done by flowgate's runner, not by this module.
local user_scripts = {}

user_scripts.script_categories = {
  other     = { id = 0, icon = "fas fa-scroll",        i18n_title = "user_scripts.category_other",     i18n_descr = "user_scripts.category_other_descr" },
  security  = { id = 1, icon = "fas fa-shield-alt",    i18n_title = "user_scripts.category_security",  i18n_descr = "user_scripts.category_security_descr" },
  internals = { id = 2, icon = "fas fa-wrench",        i18n_title = "user_scripts.category_internals", i18n_descr = "user_scripts.category_internals_descr" },
  network   = { id = 3, icon = "fas fa-network-wired", i18n_title = "user_scripts.category_network",   i18n_descr = "user_scripts.category_network_descr" },
  system    = { id = 4, icon = "fas fa-server",        i18n_title = "user_scripts.category_system",    i18n_descr = "user_scripts.category_system_descr" },
}

local periodic_hooks = { "min", "5mins", "hour", "day" }

user_scripts.script_types = {
  flow = { parent_dir = "interface", hooks = { "protocolDetected", "statusChanged", "flowEnd", "periodicUpdate" }, subdirs = { "flow" }, default_config_only = true },
  traffic_element = { parent_dir = "interface", hooks = periodic_hooks, subdirs = { "interface", "network" }, has_per_hook_config = true },
  host = { parent_dir = "interface", hooks = periodic_hooks, subdirs = { "host" }, has_per_hook_config = true },
  system = { parent_dir = "system", hooks = periodic_hooks, subdirs = { "system" }, has_per_hook_config = true, default_config_only = true },
  snmp_device = { parent_dir = "system", hooks = { "snmpDevice", "snmpDeviceInterface" }, subdirs = { "snmp_device" }, default_config_only = true },
  syslog = { parent_dir = "system", hooks = { "handleEvent" }, subdirs = { "syslog" }, default_config_only = true },
}

user_scripts.field_units = {
  seconds = "field_units.seconds",
  bytes = "field_units.bytes",
  flows = "field_units.flows",
  packets = "field_units.packets",
  mbits = "field_units.mbits",
  hosts = "field_units.hosts",
  syn_sec = "field_units.syn_sec",
  flow_sec = "field_units.flow_sec",
  per_minute = "field_units.per_minute",
  syn_min = "field_units.syn_min",
  flow_min = "field_units.flow_min",
  percentage = "field_units.percentage",
  contacts = "field_units.contacts",
  score = "field_units.score",
}

user_scripts.DEFAULT_CONFIGSET_ID = 0
user_scripts.HOOK_CONFIG_ALL = "all"

-- GUI templates (only the UI reads them; scripts reference them by name).
user_scripts.templates = {
  default = { name = "default" },
  threshold_cross = { name = "threshold_cross", field_operator = { "gt", "lt" } },
  items_list = { name = "items_list" },
  elephant_flows = { name = "elephant_flows" },
  long_lived = { name = "long_lived" },
  multi_select = { name = "multi_select" },
}
-- 4.2's per-granularity threshold templates as plain tables.
user_scripts.default_threshold_cross = { operator = "gt", threshold = 0 }
user_scripts.minute_threshold_cross = { granularity = "min", operator = "gt" }
user_scripts.five_minute_threshold_cross = { granularity = "5mins", operator = "gt" }
user_scripts.hour_threshold_cross = { granularity = "hour", operator = "gt" }
user_scripts.day_threshold_cross = { granularity = "day", operator = "gt" }

function user_scripts.getSubdirectoryPath(script_type, subdir)
  return "callbacks/" .. (script_type and script_type.parent_dir or "interface") .. "/" .. tostring(subdir)
end

function user_scripts.getScriptType(subdir)
  for _, t in pairs(user_scripts.script_types) do
    for _, s in ipairs(t.subdirs) do
      if s == subdir then return t end
    end
  end
  return nil
end

function user_scripts.isSystemScript(subdir)
  return subdir == "system" or subdir == "snmp_device" or subdir == "syslog"
end

-- getDefaultConfig(script, subdir): the factory configuration of a script,
-- {<hook or "all"> = {enabled, script_conf}}.
function user_scripts.getDefaultConfig(script, subdir)
  local res = {}
  local enabled = script.default_enabled ~= false
  local conf = script.default_value or {}
  local stype = script.script_type or user_scripts.getScriptType(subdir or script.subdir)
  if stype ~= nil and stype.has_per_hook_config and script.hooks ~= nil then
    for hook in pairs(script.hooks) do
      res[hook] = { enabled = enabled, script_conf = conf }
    end
  else
    res.all = { enabled = enabled, script_conf = conf }
  end
  return res
end
user_scripts.getFactoryConfig = user_scripts.getDefaultConfig

-- getTargetHookConfig(subdir_conf, script, hook): the entry for the hook,
-- or "all", or disabled when missing.
function user_scripts.getTargetHookConfig(target_config, script, hook)
  local script_conf = target_config and target_config[script.key]
  if script_conf == nil then return { enabled = false, script_conf = {} } end
  local c = script_conf[hook or "all"] or script_conf.all
  return c or { enabled = false, script_conf = {} }
end

function user_scripts.getScriptEditorUrl() return nil end

return user_scripts
