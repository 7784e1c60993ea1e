-- The multi-instance test's page (cmd/flowgate/instances_test.go).
--   ?publish=NAME  writes this instance's interface 0 totals into the shared
--                  cache (Redis with -r) under flowgate.instance.NAME.*
--   ?name=NAME     answers what instance NAME published, read from the cache
local rest_utils = require("rest_utils")
local name = _GET["publish"] or _GET["name"] or ""
if not name:match("^[%w%-]+$") then
  rest_utils.answer(rest_utils.consts.err.invalid_args)
  return
end
local key = "flowgate.instance." .. name
if _GET["publish"] then
  interface.select("0")
  local s = interface.getStats()
  ntop.setCache(key .. ".bytes", tostring(s.stats.bytes))
  ntop.setCache(key .. ".packets", tostring(s.stats.packets))
end
rest_utils.answer(rest_utils.consts.success.ok, {
  bytes = tonumber(ntop.getCache(key .. ".bytes")) or -1,
  packets = tonumber(ntop.getCache(key .. ".packets")) or -1,
})
