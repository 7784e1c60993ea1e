-- A host threshold script in the 4.2 style: delta of the host's bytes
-- between runs, checked against the configured threshold.
local alerts_api = require("alerts_api")
local alert_consts = require("alert_consts")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  is_alert = true,
  default_value = { operator = "gt", threshold = 1000 },
  hooks = {},
  gui = {
    i18n_title = "bytes",
    i18n_field_unit = user_scripts.field_units.bytes,
    input_builder = "threshold_cross",
  },
}

function script.hooks.all(params)
  local b = host.getBytes()
  local value = alerts_api.host_delta_val(script.key, params.granularity, b["bytes.sent"] + b["bytes.rcvd"])
  alerts_api.checkThresholdAlert(params, alert_consts.alert_types.alert_threshold_cross, value)
end

return script
