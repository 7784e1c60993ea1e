-- Echoes what the page runner gave the script.
local rest_utils = require("rest_utils")
rest_utils.answer(rest_utils.consts.success.ok, {
  get = _GET, post = _POST, server = _SERVER, session = _SESSION,
  csrf = ntop.getRandomCSRFValue(), admin = ntop.isAdministrator(),
  dirs = ntop.getDirs(), leaked = left_behind or _G.left_behind_g or false,
})
left_behind = "set by an earlier request"
_G.left_behind_g = "set in _G by an earlier request"
