local script = { hooks = {} }
function script.hooks.protocolDetected(now, conf)
  error("boom")
end
return script
