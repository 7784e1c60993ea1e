-- elephant_flows: two byte thresholds and excluded protocols.
return {
  default_enabled = false,
  default_value = { l2r_bytes_value = 1073741824, r2l_bytes_value = 1073741824, items = {} },
  hooks = { periodicUpdate = function() end },
  gui = { i18n_title = "Elephant flows", input_builder = "elephant_flows", item_list_type = "proto_or_category" },
}
