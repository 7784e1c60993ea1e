-- Reads two flow fields on every flowEnd call.
local script = {
  hooks = {},
  periodic_update_seconds = 60,
  gui = { i18n_title = "flowEnd counter", i18n_description = "counts flowEnd calls" },
}

function script.hooks.flowEnd(now, conf)
  local b = flow.getBytes()
  local k = flow.getServerKey()
  if b == nil or k == nil then error("no flow context") end
end

return script
