local script = { hooks = {} }
function script.hooks.protocolDetected(now, conf)
  local i = 0
  while true do i = i + 1 end
end
return script
