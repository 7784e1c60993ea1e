-- lua_utils for flowgate: the globals ntopng 4.2 user scripts assume after
-- require "lua_utils" (traceError and TRACE_*, tprint, string and table
-- helpers, host keys, formatting). Written for flowgate; same names and
-- behaviour as ntopng's module where scripts can observe them.

TRACE_ERROR   = 0
TRACE_WARNING = 1
TRACE_NORMAL  = 2
TRACE_INFO    = 3
TRACE_DEBUG   = 4

TRACE_CONSOLE = 0
TRACE_WEB     = 1

local trace_level_names = { [0] = "ERROR", [1] = "WARNING", [2] = "NORMAL", [3] = "INFO", [4] = "DEBUG" }

-- traceError(level, mode, msg): logged through the host's logger when the
-- runtime provides one (flowgate_log), else printed.
function traceError(level, mode, msg)
  if msg == nil then msg = "" end
  local info = debug.getinfo(2, "Sl")
  local where = ""
  if info ~= nil and info.short_src ~= nil then
    where = "[" .. tostring(info.short_src) .. ":" .. tostring(info.currentline or 0) .. "] "
  end
  local logger = rawget(_G, "flowgate_log")
  if type(logger) == "function" then
    logger(level, where .. tostring(msg))
  else
    print(os.date("%d/%b/%Y %H:%M:%S") .. " [" .. (trace_level_names[level] or tostring(level)) .. "] " .. where .. tostring(msg))
  end
end

function traceVerbose() return false end
function setTraceLevel() end
function resetTraceLevel() end

-- tprint prints any value, tables recursively with sorted keys.
function tprint(s, l, i)
  l = l or 50
  i = i or ""
  if l < 1 then
    io.write("ERROR: Item limit reached.\n")
    return l - 1
  end
  local ts = type(s)
  if ts ~= "table" then
    io.write(i .. " " .. ts .. " " .. tostring(s) .. "\n")
    return l - 1
  end
  io.write(i .. " " .. ts .. "\n")
  for k, v in pairsByKeys(s) do
    l = tprint(v, l, i .. "\t[" .. tostring(k) .. "]")
    if l < 0 then break end
  end
  return l
end

function isEmptyString(str)
  return str == nil or str == ""
end

function ternary(cond, a, b)
  if cond then return a else return b end
end

function firstToUpper(str)
  str = tostring(str)
  return (str:gsub("^%l", string.upper))
end

function trimString(s)
  return (tostring(s):gsub("^%s*(.-)%s*$", "%1"))
end
string.trim = function(s) return trimString(s) end

-- starts/ends, also as string methods.
function starts(String, Start)
  if String == nil or Start == nil then return false end
  return string.sub(String, 1, string.len(Start)) == Start
end

function ends(String, End)
  if String == nil or End == nil then return false end
  return End == "" or string.sub(String, -string.len(End)) == End
end
string.starts = starts
string.ends = ends

-- split(s, sep): plain (not pattern) separator; returns an array.
function split(s, delimiter)
  local result = {}
  if s == nil then return result end
  if delimiter == nil or delimiter == "" then
    for c in string.gmatch(s, ".") do result[#result + 1] = c end
    return result
  end
  local from = 1
  while true do
    local a, b = string.find(s, delimiter, from, true)
    if a == nil then break end
    result[#result + 1] = string.sub(s, from, a - 1)
    from = b + 1
  end
  result[#result + 1] = string.sub(s, from)
  return result
end
string.split = function(s, sep)
  -- ntopng's string.split takes a pattern and returns nil when it does not match.
  if sep == nil then sep = "," end
  local t = {}
  if string.find(s, sep) == nil then return nil end
  local from = 1
  while true do
    local a, b = string.find(s, sep, from)
    if a == nil then break end
    t[#t + 1] = string.sub(s, from, a - 1)
    from = b + 1
  end
  t[#t + 1] = string.sub(s, from)
  return t
end

function string.containsIgnoreCase(str, pat)
  return string.find(string.lower(str), string.lower(pat), 1, true) ~= nil
end

function string.contains(str, pat)
  return string.find(str, pat, 1, true) ~= nil
end

-- Tables.
function table.len(t)
  local n = 0
  if type(t) ~= "table" then return 0 end
  for _ in pairs(t) do n = n + 1 end
  return n
end
tablelen = table.len

function table.empty(t)
  if t == nil then return true end
  return next(t) == nil
end

function table.clone(orig)
  if type(orig) ~= "table" then return orig end
  local copy = {}
  for k, v in pairs(orig) do copy[k] = table.clone(v) end
  return setmetatable(copy, getmetatable(orig))
end

function table.merge(a, b)
  local r = {}
  if a then for k, v in pairs(a) do r[k] = v end end
  if b then for k, v in pairs(b) do r[k] = v end end
  return r
end

function table.keys(t)
  local r = {}
  for k in pairs(t or {}) do r[#r + 1] = k end
  return r
end

function table.has_key(t, k)
  return t ~= nil and t[k] ~= nil
end

function table.contains(t, v)
  for _, x in pairs(t or {}) do
    if x == v then return true end
  end
  return false
end

function table.insertIfNotPresent(t, v)
  if not table.contains(t, v) then table.insert(t, v) end
end

function table.foreach(t, fn)
  for k, v in pairs(t) do fn(k, v) end
end

if table.unpack == nil then table.unpack = unpack end

local function cmp_keys(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- pairsByKeys(t[, f]): iterate in key order (f compares keys).
function pairsByKeys(t, f)
  local a = {}
  for n in pairs(t) do a[#a + 1] = n end
  table.sort(a, f or cmp_keys)
  local i = 0
  return function()
    i = i + 1
    if a[i] == nil then return nil end
    return a[i], t[a[i]]
  end
end

-- pairsByValues(t, f): iterate in value order (f compares values).
function pairsByValues(t, f)
  local a = {}
  for n in pairs(t) do a[#a + 1] = n end
  table.sort(a, function(x, y) return f(t[x], t[y]) end)
  local i = 0
  return function()
    i = i + 1
    if a[i] == nil then return nil end
    return a[i], t[a[i]]
  end
end

function asc(a, b) return a < b end
function rev(a, b) return a > b end
asc_insensitive = function(a, b) return string.lower(a) < string.lower(b) end
rev_insensitive = function(a, b) return string.lower(a) > string.lower(b) end

-- Numbers and formatting.
function round(num, idp)
  if num == nil then return 0 end
  local mult = 10 ^ (idp or 0)
  return math.floor(num * mult + 0.5) / mult
end

function truncate(x)
  return x < 0 and math.ceil(x) or math.floor(x)
end

function toint(num)
  if num == nil then return 0 end
  return math.floor(tonumber(num) or 0)
end

local function scale(value, units, base, precision)
  value = tonumber(value) or 0
  precision = precision or 2
  local i = 1
  local neg = value < 0
  if neg then value = -value end
  while value >= base and i < #units do
    value = value / base
    i = i + 1
  end
  if neg then value = -value end
  if i == 1 then
    return string.format("%d %s", value, units[i])
  end
  return string.format("%." .. precision .. "f %s", round(value, precision), units[i])
end

function bytesToSize(bytes)
  return scale(bytes, { "B", "KB", "MB", "GB", "TB", "PB" }, 1024)
end

function bitsToSize(bits)
  return scale(bits, { "bps", "Kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" }, 1000)
end

function formatValue(amount)
  local formatted = tostring(math.floor(tonumber(amount) or 0))
  local k
  while true do
    formatted, k = string.gsub(formatted, "^(-?%d+)(%d%d%d)", "%1,%2")
    if k == 0 then break end
  end
  return formatted
end

function formatPackets(packets)
  packets = tonumber(packets) or 0
  if packets == 1 then return "1 Pkt" end
  return formatValue(packets) .. " Pkts"
end

function formatPps(pps)
  return string.format("%.2f pps", tonumber(pps) or 0)
end

function formatFlows(n)
  return formatValue(n) .. " Flows"
end

function secondsToTime(seconds)
  seconds = math.floor(tonumber(seconds) or 0)
  if seconds < 1 then return "< 1 sec" end
  local days = math.floor(seconds / 86400)
  local hours = math.floor((seconds % 86400) / 3600)
  local mins = math.floor((seconds % 3600) / 60)
  local secs = seconds % 60
  local parts = {}
  if days > 0 then parts[#parts + 1] = days .. (days == 1 and " day" or " days") end
  if hours > 0 then parts[#parts + 1] = hours .. " h" end
  if mins > 0 then parts[#parts + 1] = mins .. " min" end
  if secs > 0 then parts[#parts + 1] = secs .. " sec" end
  return table.concat(parts, ", ")
end

-- formatEpoch: "dd/mm/YYYY HH:MM:SS" in local time.
function formatEpoch(epoch)
  if epoch == nil or epoch == 0 then return "" end
  return os.date("%d/%m/%Y %H:%M:%S", math.floor(epoch))
end

function noHtml(s)
  if s == nil then return nil end
  local r = string.gsub(s, "<[^>]*>", "")
  r = string.gsub(r, "&gt;", ">")
  r = string.gsub(r, "&lt;", "<")
  r = string.gsub(r, "&amp;", "&")
  r = string.gsub(r, "&nbsp;", " ")
  return (trimString(r))
end

-- i18n(key, params): flowgate ships no locales, so the key's last part is
-- returned with %{name} placeholders filled, which keeps messages readable.
function i18n(key, params)
  if key == nil then return "" end
  local s = tostring(key)
  if params ~= nil then
    s = s:gsub("%%{([%w_]+)}", function(k)
      local v = params[k]
      if v == nil then return "" end
      return tostring(v)
    end)
  end
  return s
end

-- Host keys: "ip@vlan", vlan omitted when 0 unless forced.
function hostinfo2hostkey(host_info, host_type, show_vlan)
  if host_info == nil then return "" end
  local ip = host_info["host"] or host_info["ip"] or host_info["name"] or ""
  if host_type == "cli" then ip = host_info["cli.ip"] or ip
  elseif host_type == "srv" then ip = host_info["srv.ip"] or ip end
  local vlan = host_info["vlan"] or host_info["vlan_id"] or 0
  if host_type ~= nil and host_info[host_type .. ".vlan"] ~= nil then vlan = host_info[host_type .. ".vlan"] end
  vlan = tonumber(vlan) or 0
  if vlan ~= 0 or show_vlan then
    return ip .. "@" .. math.floor(vlan)
  end
  return ip
end

function hostkey2hostinfo(key)
  local info = { host = "", vlan = 0 }
  if key == nil then return info end
  local at = string.find(key, "@", 1, true)
  if at == nil then
    info.host = key
  else
    info.host = string.sub(key, 1, at - 1)
    info.vlan = tonumber(string.sub(key, at + 1)) or 0
  end
  return info
end

function hostinfo2label(host_info)
  return host_info.label or host_info.name or hostinfo2hostkey(host_info)
end

function isIPv4(address)
  if address == nil then return false end
  local a, b, c, d = string.match(address, "^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a == nil then return false end
  for _, p in ipairs({ a, b, c, d }) do
    if tonumber(p) > 255 then return false end
  end
  return true
end

function isIPv6(address)
  return address ~= nil and string.find(address, ":", 1, true) ~= nil and string.match(address, "^[%x:%.]+$") ~= nil
end

function isMacAddress(address)
  return address ~= nil and string.match(address, "^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") ~= nil
end

function getSystemInterfaceId() return "-1" end
function getSystemInterfaceName() return "__system__" end

function areAlertsEnabled()
  if ntop ~= nil and ntop.getPref ~= nil then
    local v = ntop.getPref("ntopng.prefs.disable_alerts_generation")
    if v == "1" then return false end
  end
  return true
end

-- ntop.isAdministrator follows the user of a Lua page (true elsewhere).
function isAdministrator() return ntop == nil or ntop.isAdministrator == nil or ntop.isAdministrator() end
function hasAllowedNetworksSet() return false end

function getInterfaceName(ifid)
  if interface ~= nil and interface.getName ~= nil then
    local ok, name = pcall(interface.getName)
    if ok and name then return name end
  end
  return tostring(ifid)
end

function getHttpHost() return "" end

-- shortFlowLabel(flow_info): "[<proto.ndpi>] <proto.l4> cli:port -> srv:port [info]".
function shortFlowLabel(flow)
  if flow == nil then return "" end
  local function hp(ip, port)
    ip = tostring(ip or "")
    if string.find(ip, ":", 1, true) then ip = "[" .. ip .. "]" end
    if port ~= nil and tonumber(port) ~= nil and tonumber(port) > 0 then
      return ip .. ":" .. math.floor(tonumber(port))
    end
    return ip
  end
  local label = "[" .. tostring(flow["proto.ndpi"] or "Unknown") .. "] " .. tostring(flow["proto.l4"] or "")
    .. " " .. hp(flow["cli.ip"], flow["cli.port"]) .. " -> " .. hp(flow["srv.ip"], flow["srv.port"])
  if not isEmptyString(flow["info"]) then
    label = label .. " [" .. flow["info"] .. "]"
  end
  return label
end

-- l4_proto_to_string / l4_proto_to_id over the usual protocols.
local l4_protos = { ip = 0, icmp = 1, igmp = 2, tcp = 6, udp = 17, ipv6 = 41, gre = 47, esp = 50, icmpv6 = 58, ospf = 89, pim = 103, vrrp = 112, sctp = 132 }
l4_keys = {}
for name, id in pairs(l4_protos) do l4_keys[#l4_keys + 1] = { string.upper(name), name, id } end

function l4_proto_to_id(name)
  if name == nil then return nil end
  return l4_protos[string.lower(tostring(name))]
end

function l4_proto_to_string(id)
  id = tonumber(id)
  for name, v in pairs(l4_protos) do
    if v == id then return string.upper(name) end
  end
  return tostring(id)
end

return {}
