-- alert_severities for flowgate: ntopng 4.2's severities by name
-- (debug .. emergency), the same tables as alert_consts.alert_severities.
return require("alert_consts").alert_severities
