-- Reads two flow fields on every protocolDetected call.
local script = {
  hooks = {},
  periodic_update_seconds = 60,
  gui = { i18n_title = "protocolDetected counter", i18n_description = "counts protocolDetected calls" },
}

function script.hooks.protocolDetected(now, conf)
  local b = flow.getBytes()
  local k = flow.getServerKey()
  if b == nil or k == nil then error("no flow context") end
end

return script
