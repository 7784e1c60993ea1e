-- Reads two flow fields on every periodicUpdate call.
local script = {
  hooks = {},
  periodic_update_seconds = 60,
  gui = { i18n_title = "periodicUpdate counter", i18n_description = "counts periodicUpdate calls" },
}

function script.hooks.periodicUpdate(now, conf)
  local b = flow.getBytes()
  local k = flow.getServerKey()
  if b == nil or k == nil then error("no flow context") end
end

return script
