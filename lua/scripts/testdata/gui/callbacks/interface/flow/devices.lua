-- multi_select over ntopng's device types, plus a free checkbox.
return {
  default_enabled = false,
  default_value = { items = { "printer" }, notify = true },
  hooks = { protocolDetected = function() end },
  gui = { i18n_title = "Device types", input_builder = "multi_select", item_list_type = "device_type" },
}
