-- An admin-only GET page (seed 004's "Admin-only guard").
require "lua_utils"
local rest_utils = require("rest_utils")
if not isAdministrator() then
  rest_utils.answer(rest_utils.consts.err.not_granted)
  return
end
rest_utils.answer(rest_utils.consts.success.ok, { secret = "admins only" })
