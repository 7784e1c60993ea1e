-- A 4.2-style flow script: a flow status on long-lived TCP flows.
local user_scripts = require("user_scripts")
local flow_consts = require("flow_consts")
local helpers = require("demo_helpers")

local script = {
  category = user_scripts.script_categories.network,
  l4_proto = "tcp",
  default_enabled = true,
  default_value = { max_duration = 3600 },
  hooks = {},
  gui = {
    i18n_title = "demo.long_flow",
    i18n_description = "demo.long_flow_descr",
  },
}

function script.hooks.periodicUpdate(now, conf)
  local duration = flow.getDuration()
  if helpers.over(duration, conf.max_duration) then
    flow.triggerStatus(flow_consts.status_types.status_longlived.create(duration, conf.max_duration), 10, 10, 10)
  end
end

return script
