-- Seed 003's "Country based Alert" example, as the seed writes it; the seed
-- cuts the text short, so the closing lines (marked) are completed the
-- obvious way.
local user_scripts = require("user_scripts")

-- #################################################################

local script = {
   hooks = {},

   gui = {
      i18n_title = "Suspicious Countries",
      i18n_description = "Trigger an alert when at least one among the client and server is from a suspicious country",
   }, -- completed
} -- completed

-- #################################################################

function script.hooks.protocolDetected()
   local cli_geo = flow.getClientGeolocation()
   local srv_geo = flow.getServerGeolocation()

   if cli_geo["cli.country"] == "CN" or srv_geo["srv.country"] == "CN" then
      tprint("From China") -- this will print the message "From China" to the standard output
      -- Execute custom actions:
      -- Raise an alert...
      -- Increase the flow score...
   end -- completed
end -- completed

-- #################################################################

return script -- completed
