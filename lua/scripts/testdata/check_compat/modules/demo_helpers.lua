-- A module of the scripts directory (scripts/modules/ is on every
-- state's package.path).
local demo_helpers = {}

function demo_helpers.over(value, threshold)
  return (tonumber(value) or 0) > (tonumber(threshold) or 0)
end

return demo_helpers
