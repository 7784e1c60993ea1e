--
-- blacklisted.lua: flowgate's blacklisted flow check. Written for
-- flowgate (docs/blacklists.md).
--
-- A flow whose client, server or server name is on a Malware category list
-- (or whose category is Malware) gets status_blacklisted: the peer that
-- talked to a blacklisted one takes the score, as in ntopng.
--

local alert_consts = require("alert_consts")
local flow_consts = require("flow_consts")
local user_scripts = require("user_scripts")

local script = {
  category = user_scripts.script_categories.security,
  -- Off until enabled (REST or the scripts configuration): a flow hook
  -- runs for every new flow and costs ingest (docs/flow-risks.md).
  default_enabled = false,
  hooks = {},
  gui = {
    i18n_title = "Blacklisted flows",
    i18n_description = "Alert on flows from or to hosts and domains of the Malware category lists",
  },
}

function script.hooks.protocolDetected(now, conf)
  if not flow.isBlacklisted() then return end
  local info = flow.getBlacklistedInfo()
  local cli_bl, srv_bl = info["blacklisted.cli"] == true, info["blacklisted.srv"] == true
  local cat_bl = info["blacklisted.cat"] == true
  local cli_score, srv_score = 0, 0
  if srv_bl or cat_bl then cli_score = 100 end -- the client contacted it
  if cli_bl then srv_score = 100 end
  local st = flow_consts.status_types.status_blacklisted.create(alert_consts.alert_severities.error, {
    cli_blacklisted = cli_bl, srv_blacklisted = srv_bl, cat_blacklisted = cat_bl,
  })
  flow.triggerStatus(st, 100, cli_score, srv_score)
end

return script
