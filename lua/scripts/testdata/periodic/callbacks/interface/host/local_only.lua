local script = { local_only = true, hooks = {} }
function script.hooks.min(params)
  ntop.setCache("localonly." .. params.entity_info.ip, "1")
end
return script
