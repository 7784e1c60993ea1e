-- long_lived: a minimum duration and excluded protocols.
return {
  default_enabled = false,
  default_value = { min_duration = 86400, items = {} },
  hooks = { periodicUpdate = function() end },
  gui = { i18n_title = "Long-lived flows", input_builder = "long_lived", item_list_type = "proto_or_category" },
}
