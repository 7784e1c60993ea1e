-- Seed 004, "Common REST API patterns", Pattern 4. The seed's fragment
-- uses `username` and `value` without defining them: the page's user and
-- the `value` parameter; the Store/Read lines are verbatim.
local rest_utils = require("rest_utils")
local username = _SESSION["user"]
local value = _GET["value"]

if value ~= nil then
-- Store
ntop.setHashCache("ntopng.user." .. username, "my_setting", value)
end

-- Read
local v = ntop.getHashCache("ntopng.user." .. username, "my_setting")
rest_utils.answer(rest_utils.consts.success.ok, { user = username, my_setting = v })
