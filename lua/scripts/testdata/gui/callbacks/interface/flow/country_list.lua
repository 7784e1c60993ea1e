-- items_list of countries (ntopng's blacklisted country check).
return {
  default_enabled = false,
  default_value = { items = {} },
  hooks = { protocolDetected = function() end },
  gui = { i18n_title = "Countries", input_builder = "items_list", item_list_type = "country" },
}
