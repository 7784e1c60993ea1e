-- `all` registers the function on every flow hook; periodicUpdate every 30 s.
local script = { hooks = {}, periodic_update_seconds = 45 }
function script.hooks.all(now, conf) end
return script
