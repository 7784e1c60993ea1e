-- Reads two flow fields on every statusChanged call.
local script = {
  hooks = {},
  periodic_update_seconds = 60,
  gui = { i18n_title = "statusChanged counter", i18n_description = "counts statusChanged calls" },
}

function script.hooks.statusChanged(now, conf)
  local b = flow.getBytes()
  local k = flow.getServerKey()
  if b == nil or k == nil then error("no flow context") end
end

return script
