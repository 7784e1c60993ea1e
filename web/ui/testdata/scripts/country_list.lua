-- A flow check configured with ntopng's items_list gui (countries), as
-- ntopng's blacklisted-country check is; off by default, so the browser
-- test only edits its list.
return {
  default_enabled = false,
  default_value = { items = {} },
  hooks = { protocolDetected = function() end },
  gui = {
    i18n_title = "Blacklisted countries",
    i18n_description = "Alerts on flows from or to these countries",
    input_builder = "items_list",
    item_list_type = "country",
  },
}
