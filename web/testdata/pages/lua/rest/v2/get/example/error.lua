-- A page that raises on line 4.
local rest_utils = require("rest_utils")
print("partial output")
local t = nil; local x = t.field
rest_utils.answer(rest_utils.consts.success.ok)
