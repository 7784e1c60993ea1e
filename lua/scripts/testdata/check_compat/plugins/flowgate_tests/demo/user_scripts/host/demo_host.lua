-- A 4.2-style host script: a threshold alert on the bytes of local hosts.
local alerts_api = require("alerts_api")
local alert_consts = require("alert_consts")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.network,
  local_only = true,
  default_enabled = false,
  hooks = {},
  gui = {
    i18n_title = "demo.host_bytes",
    i18n_description = "demo.host_bytes_descr",
    input_builder = "threshold_cross",
  },
}

function script.hooks.min(params)
  local info = host.getFullInfo()
  local value = alerts_api.host_delta_val(script.key, params.granularity, (info["bytes.sent"] or 0) + (info["bytes.rcvd"] or 0))
  alerts_api.checkThresholdAlert(params, alert_consts.alert_types.alert_threshold_cross, value)
end

return script
