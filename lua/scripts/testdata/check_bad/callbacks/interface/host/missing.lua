local script = { hooks = {}, my_custom_key = 1 }
function script.hooks.min(params)
  ntop.noSuchFunction(1)
end
function script.hooks.sometimes(params) end
return script
