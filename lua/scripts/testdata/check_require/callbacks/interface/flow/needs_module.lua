-- A flow script that requires modules flowgate does not have: one at the
-- top level, one only when a hook runs.
local user_scripts = require("user_scripts")
local missing = require("no_such_module")

return {
  hooks = {
    protocolDetected = function(now, conf)
      local later = require "no_such_module_either"
      later.check(flow.getInfo())
    end,
  },
}
