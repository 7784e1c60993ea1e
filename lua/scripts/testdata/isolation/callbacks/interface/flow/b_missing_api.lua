local script = { hooks = {} }
function script.hooks.protocolDetected(now, conf)
  local x = flow.getBytes()
  flow.getSomethingFlowgateLacks()
end
return script
