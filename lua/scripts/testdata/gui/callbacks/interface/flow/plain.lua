-- No input builder: script_conf is stored as given.
return {
  default_enabled = false,
  hooks = { protocolDetected = function() end },
}
