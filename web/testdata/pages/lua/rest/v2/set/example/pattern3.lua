-- Seed 004, "Common REST API patterns", Pattern 3, the POST block. The
-- seed prints it after the GET block whose declarations it uses; they are
-- repeated here (the first four lines), the block itself is verbatim.
local CONF_KEY = "ntopng.prefs.my_feature"
local json = require("dkjson")
require "lua_utils"
local rest_utils = require("rest_utils")

-- POST: write config
local body = json.decode(_POST["JSON"] or "{}")
ntop.setCache(CONF_KEY, json.encode(body))
rest_utils.answer(rest_utils.consts.success.ok)
