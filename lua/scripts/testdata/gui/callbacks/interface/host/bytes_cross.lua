-- threshold_cross with bounds and a fixed operator.
return {
  default_enabled = false,
  default_value = { operator = "gt", threshold = 1000 },
  hooks = { min = function() end },
  gui = { i18n_title = "Bytes", input_builder = "threshold_cross", i18n_field_unit = "field_units.bytes",
          field_min = 1, field_max = 1000000, field_step = 1, field_operator = "gt" },
}
