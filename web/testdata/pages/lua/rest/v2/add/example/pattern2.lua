-- Seed 004, "Common REST API patterns", Pattern 2 (verbatim).
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
local rest_utils = require("rest_utils")
require "lua_utils"
local json = require("dkjson")

if not isAdministrator() then
  rest_utils.answer(rest_utils.consts.err.not_granted)
  return
end

local body = json.decode(_POST["JSON"] or "{}")
local username = body and body["username"]
if isEmptyString(username) then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end

local ok = ntop.addUser(username, body["full_name"] or "", body["password"] or "",
                        "unprivileged", "", "")
if ok then
  rest_utils.answer(rest_utils.consts.success.ok)
else
  rest_utils.answer(rest_utils.consts.err.internal_error)
end
