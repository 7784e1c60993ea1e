-- Seed 000 (export active hosts), as written; the URL is set by the test.
local user_scripts = require("user_scripts")
local json = require("dkjson")

-- Will be used to keep track of all the hosts
local hosts_list

local script = {
  hooks = {},
  gui = {
    i18n_title = "Test script",
    i18n_description = "A test script",
  }
}

function script.setup()
  hosts_list = {}
  return(true)
end

function script.hooks.min(params)
  table.insert(hosts_list, params.entity_info.ip)
end

function script.teardown()
  local data = json.encode({when = os.time(), hosts = hosts_list})

  ntop.httpPost("@URL@", data)
end

return(script)
