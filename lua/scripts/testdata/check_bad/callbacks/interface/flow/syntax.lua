local script = { hooks = {} }
function script.hooks.protocolDetected(now, conf)
  if then
end
return script
