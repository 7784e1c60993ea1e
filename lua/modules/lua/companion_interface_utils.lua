-- companion_interface_utils for flowgate: the companion interfaces of an
-- interface, kept where ntopng keeps them (the ntop.*Cache store), so that
-- a shared Redis (-r) or a script calling setCompanion configures them.
--
-- An interface X whose companion is Y has the pref
-- ntopng.prefs.companion_interface.ifid_X.companion = "Y", and Y's set
-- ntopng.prefs.companion_interface.ifid_Y.companion_of holds "X". A syslog
-- handler stores its alerts again on every interface its interface is the
-- companion of. flowgate configures none by default: the lists are empty
-- until set (docs/ntopng-modules.md).

require "lua_utils"

local prefix = "ntopng.prefs.companion_interface.ifid_"

local companion_interface_utils = {}

local function companion_key(ifid) return prefix .. tostring(ifid) .. ".companion" end
local function companion_of_key(ifid) return prefix .. tostring(ifid) .. ".companion_of" end

-- Interfaces flowgate runs, by ifid string.
local function ifnames()
  return interface.getIfNames() or {}
end

-- The reload is ntopng's C side; flowgate reads the store at each call.
local function reload(ifid)
  local f = rawget(interface, "reloadCompanions")
  if f ~= nil and tonumber(ifid) ~= nil then f(tonumber(ifid)) end
end

-- The companion of ifid as an ifid string, "" when none or when it names
-- an interface that does not exist.
function companion_interface_utils.getCurrentCompanion(ifid)
  local comp = ntop.getPref(companion_key(ifid)) or ""
  if comp == "" then return "" end
  for id in pairs(ifnames()) do
    if tostring(id) == comp then return comp end
  end
  return ""
end

-- The ifids (strings) whose companion ifid is; {} when none.
function companion_interface_utils.getCurrentCompanionOf(ifid)
  return ntop.getMembersCache(companion_of_key(ifid)) or {}
end

-- Makes companion_ifid (an ifid string, "" for none) the companion of ifid.
function companion_interface_utils.setCompanion(ifid, companion_ifid)
  companion_ifid = tostring(companion_ifid or "")
  local cur = companion_interface_utils.getCurrentCompanion(ifid)
  if cur == companion_ifid then return end
  if cur ~= "" then
    ntop.delMembersCache(companion_of_key(cur), tostring(ifid))
    reload(cur)
  end
  if companion_ifid == "" then
    ntop.delCache(companion_key(ifid))
  else
    ntop.setCache(companion_key(ifid), companion_ifid)
    ntop.setMembersCache(companion_of_key(companion_ifid), tostring(ifid))
    reload(companion_ifid)
  end
end

-- The interfaces that can be the companion of the selected one: "None",
-- then every other interface that does not capture packets.
function companion_interface_utils.getAvailableCompanions()
  local cur = interface.getId()
  local res = { { ifid = "", ifname = "None" } }
  for id, name in pairsByKeys(ifnames()) do
    interface.select(tostring(id))
    if not interface.isPacketInterface() and tonumber(id) ~= cur then
      res[#res + 1] = { ifid = tostring(id), ifname = name }
    end
  end
  interface.select(tostring(cur))
  return res
end

function companion_interface_utils.initCompanions()
  for id in pairs(ifnames()) do reload(id) end
end

return companion_interface_utils
