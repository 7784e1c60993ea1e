-- The hosts interface.* shows the page's user, and whether it may select
-- each interface.
local rest_utils = require("rest_utils")
local ifid = _GET["ifid"] or "0"
local name = interface.select(ifid)
if name == nil then
  rest_utils.answer(rest_utils.consts.err.invalid_interface)
  return
end
local keys = {}
for k, _ in pairs(interface.getHostsInfo(false).hosts) do keys[#keys + 1] = k end
table.sort(keys)
local one = _GET["host"] and interface.getHostInfo(_GET["host"])
rest_utils.answer(rest_utils.consts.success.ok, {
  ifname = name, hosts = keys, host_found = one ~= nil,
  allowed_net = ntop.isAllowedNetwork(_GET["net"] or "0.0.0.0/0"),
})
