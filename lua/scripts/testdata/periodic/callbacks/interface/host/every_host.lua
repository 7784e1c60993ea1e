-- Records every call in the Lua cache: granularity, the entity and params keys.
local script = { hooks = {} }
function script.hooks.all(params)
  local ae = params.alert_entity
  local ip = params.entity_info and params.entity_info.ip or ""
  ntop.setCache("calls.host." .. params.granularity, (tonumber(ntop.getCache("calls.host." .. params.granularity)) or 0) + 1)
  ntop.setCache("last.host", string.format("%s|%s|%s|%s|%s", params.granularity, tostring(ae.alert_entity), ae.alert_entity_val, ip, tostring(params.user_script.key)))
end
return script
