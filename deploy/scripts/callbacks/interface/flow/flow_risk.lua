--
-- flow_risk.lua: flowgate's nDPI flow risk check. Written for flowgate
-- (docs/flow-risks.md).
--
-- A flow carrying nDPI risks (nProbe's L7_PROTO_RISK, or the packet
-- interface's own detection) gets status_flow_risk once, scored as nDPI
-- scores the risks (ndpi_risk2score: the sum, split between client and
-- server). As ntopng stores one alert per flow, the alert names the
-- highest-scoring risk and lists every risk in its parameters; its severity
-- follows that risk's score as ntopng maps scores to severities.
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
  periodic_update_seconds = 30,
  gui = {
    i18n_title = "Flow risks",
    i18n_description = "Alert on flows that carry nDPI risks (scores from nDPI's risk table)",
  },
}

-- ntopng's score to severity (Utils::mapScoreToSeverity, nDPI score levels).
local function severity_of(score)
  local s = alert_consts.alert_severities
  if score < 10 then return s.info end
  if score < 50 then return s.notice end
  if score < 100 then return s.warning end
  if score < 150 then return s.error end
  return s.critical
end

local risk_alerts

local function check(now, conf)
  if flow.getAlertedStatus() == flow_consts.status_types.status_flow_risk.status_key then return end
  local risks = flow.getRiskInfo()
  if next(risks) == nil then return end
  risk_alerts = risk_alerts or ntop.getFlowRiskAlerts()
  local top, total, cli, srv = nil, 0, 0, 0
  local list = {}
  for id, name in pairs(risks) do
    local a = risk_alerts[id]
    if a ~= nil then
      total, cli, srv = total + a.score, cli + a.cli_score, srv + a.srv_score
      list[#list + 1] = { risk_id = id, risk_name = name, alert_key = a.alert_key, score = a.score }
      if top == nil or a.score > top.score or (a.score == top.score and id < top.risk_id) then
        top = list[#list]
      end
    end
  end
  if top == nil then return end
  table.sort(list, function(x, y) return x.risk_id < y.risk_id end)
  local st = flow_consts.status_types.status_flow_risk.create(severity_of(top.score), {
    risk_id = top.risk_id, risk_name = top.risk_name, alert_key = top.alert_key, risks = list,
  })
  flow.triggerStatus(st, total, cli, srv)
end

script.hooks.protocolDetected = check
script.hooks.periodicUpdate = check -- risks nProbe reports after detection

return script
