local script = { hooks = {} }
function script.hooks.protocolDetected(now, conf)
  local b = flow.getBytes()
end
return script
