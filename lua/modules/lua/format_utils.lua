-- format_utils for flowgate: ntopng's number, size and time formatting.
-- lua_utils defines the same functions as globals (ntopng 4.2 exports
-- them both ways); this module returns them as a table.
require "lua_utils"

local format_utils = {}

format_utils.round = round
format_utils.secondsToTime = secondsToTime
format_utils.bytesToSize = bytesToSize
format_utils.bitsToSize = bitsToSize
format_utils.formatValue = formatValue
format_utils.formatPackets = formatPackets
format_utils.formatFlows = formatFlows
format_utils.formatPps = formatPps
format_utils.formatEpoch = formatEpoch

-- "1.5 ms", "2.31 s": milliseconds below a second, else seconds.
function format_utils.msToTime(ms)
  ms = tonumber(ms) or 0
  if ms < 1000 then return round(ms, 2) .. " ms" end
  return secondsToTime(math.floor(ms / 1000))
end

-- Packets as formatPackets writes them ("1 Pkt", "1,200 Pkts").
function format_utils.pktsToSize(pkts)
  return formatPackets(pkts)
end

-- Share of value in total, in percent with two decimals (0 when total is 0).
function format_utils.percentage(value, total)
  value, total = tonumber(value) or 0, tonumber(total) or 0
  if total <= 0 then return 0 end
  return round(value * 100 / total, 2)
end

-- RFC 3339 UTC time with milliseconds, as ntopng's RFC 5424 syslog uses:
-- "2020-11-19T18:31:21.000Z"; now when epoch is nil.
function format_utils.formatEpochISO8601(epoch)
  epoch = tonumber(epoch) or os.time()
  local ms = math.floor((epoch - math.floor(epoch)) * 1000 + 0.5)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(epoch)) .. string.format(".%03dZ", ms)
end

return format_utils
