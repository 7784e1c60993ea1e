-- flow_keys for flowgate: the flow status keys by name, {ntopng = {...},
-- user = {...}}, as status definitions require them.
return require("flow_consts").status_keys
