package alerts

import (
	"strings"
	"unicode"
)

// Severity is an ntopng 4.2 alert severity (alert_consts.alert_severities):
// 1 debug .. 8 emergency. Recipients filter on "severity >= minimum".
type Severity int

// The eight 4.2 severities.
const (
	SeverityDebug     Severity = 1
	SeverityInfo      Severity = 2
	SeverityNotice    Severity = 3
	SeverityWarning   Severity = 4
	SeverityError     Severity = 5
	SeverityCritical  Severity = 6
	SeverityAlert     Severity = 7
	SeverityEmergency Severity = 8
)

var severityNames = [...]string{"", "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// Severities lists the 4.2 severities in ascending order.
func Severities() []Severity {
	return []Severity{SeverityDebug, SeverityInfo, SeverityNotice, SeverityWarning,
		SeverityError, SeverityCritical, SeverityAlert, SeverityEmergency}
}

// Valid reports whether s is one of the eight 4.2 ids.
func (s Severity) Valid() bool { return s >= SeverityDebug && s <= SeverityEmergency }

// String is the 4.2 key ("error"), or "unknown".
func (s Severity) String() string {
	if !s.Valid() {
		return "unknown"
	}
	return severityNames[s]
}

// Title is the label ntopng shows ("Error").
func (s Severity) Title() string { return capitalize(s.String()) }

// Syslog is the syslog(3) priority level of the severity: emergency 0 ..
// debug 7, as the 4.2 syslog endpoint maps it.
func (s Severity) Syslog() int {
	if !s.Valid() {
		return 6
	}
	return 8 - int(s)
}

// ParseSeverity resolves a 4.2 severity key ("warning").
func ParseSeverity(name string) (Severity, bool) {
	for i := 1; i < len(severityNames); i++ {
		if severityNames[i] == name {
			return Severity(i), true
		}
	}
	return 0, false
}

// SeverityFrom40 maps the three ntopng 4.0 ids (info 0, warning 1, error 2)
// onto 4.2 severities, so that 4.0-era scripts and payloads keep meaning.
func SeverityFrom40(id int) (Severity, bool) {
	switch id {
	case 0:
		return SeverityInfo, true
	case 1:
		return SeverityWarning, true
	case 2:
		return SeverityError, true
	}
	return 0, false
}

// EntityType is what an alert is about (alert_consts.alert_entities).
type EntityType int

// The 4.2 entity ids.
const (
	EntityInterface        EntityType = 0
	EntityHost             EntityType = 1
	EntityNetwork          EntityType = 2
	EntitySNMPDevice       EntityType = 3
	EntityFlow             EntityType = 4
	EntityMAC              EntityType = 5
	EntityHostPool         EntityType = 6
	EntityProcess          EntityType = 7
	EntityUser             EntityType = 8
	EntityInfluxDB         EntityType = 9
	EntityTest             EntityType = 10
	EntityCategoryLists    EntityType = 11
	EntityAMHost           EntityType = 12
	EntityPeriodicActivity EntityType = 13
)

var entityNames = [...]string{"interface", "host", "network", "snmp_device", "flow", "mac",
	"host_pool", "process", "user", "influx_db", "test", "category_lists", "am_host", "periodic_activity"}

// Valid reports whether e is a known entity id.
func (e EntityType) Valid() bool { return e >= 0 && int(e) < len(entityNames) }

// String is the entity key ("host"), or "unknown".
func (e EntityType) String() string {
	if !e.Valid() {
		return "unknown"
	}
	return entityNames[e]
}

// ParseEntity resolves an entity key.
func ParseEntity(name string) (EntityType, bool) {
	for i, n := range entityNames {
		if n == name {
			return EntityType(i), true
		}
	}
	return 0, false
}

// Granularity ids (alert_consts.alerts_granularities, C ScriptPeriodicity).
const (
	GranAperiodic = 0
	GranMin       = 1
	Gran5Mins     = 2
	GranHour      = 3
	GranDay       = 4
)

var granNames = [...]string{"aperiodic", "min", "5mins", "hour", "day"}
var granSeconds = [...]int{0, 60, 300, 3600, 86400}

// GranularityByName returns the id and seconds of "min", "5mins", "hour",
// "day" (and "aperiodic", 0 s).
func GranularityByName(name string) (id, seconds int, ok bool) {
	for i, n := range granNames {
		if n == name {
			return i, granSeconds[i], true
		}
	}
	return 0, 0, false
}

// GranularitySeconds is the period of a granularity id (0 for aperiodic or
// unknown ids).
func GranularitySeconds(id int) int {
	if id < 0 || id >= len(granSeconds) {
		return 0
	}
	return granSeconds[id]
}

// GranularityFromSeconds maps 60/300/3600/86400 (and 0) back to the id.
func GranularityFromSeconds(sec int) (int, bool) {
	for i, s := range granSeconds {
		if s == sec {
			return i, true
		}
	}
	return 0, false
}

// TypeInfo is one alert type: its stable 4.2 numeric key and name.
type TypeInfo struct {
	ID    int    // alert_keys.ntopng.<Key>
	Key   string // "alert_threshold_cross"
	Title string // "Threshold Cross"
}

// alertKeys is 4.2 alert_keys.ntopng (PEN 0); the index is the id.
var alertKeys = [...]string{
	"", "alert_blacklisted_country", "alert_broadcast_domain_too_large", "alert_device_connection",
	"alert_device_disconnection", "alert_device_protocol_not_allowed", "alert_dropped_alerts",
	"alert_external", "alert_flow_blacklisted", "alert_flow_blocked", "alert_flow_misbehaviour",
	"alert_flows_flood", "alert_ghost_network", "alert_host_pool_connection",
	"alert_host_pool_disconnection", "alert_influxdb_dropped_points", "alert_influxdb_error",
	"alert_influxdb_export_failure", "alert_internals", "alert_ip_outsite_dhcp_range",
	"alert_list_download_failed", "alert_login_failed", "alert_mac_ip_association_change",
	"alert_malicious_signature", "alert_misbehaving_flows_ratio", "alert_misconfigured_app",
	"alert_new_device", "alert_nfq_flushed", "alert_none", "alert_periodic_activity_not_executed",
	"alert_am_threshold_cross", "alert_port_duplexstatus_change", "alert_port_errors",
	"alert_port_load_threshold_exceeded", "alert_port_mac_changed", "alert_port_status_change",
	"alert_potentially_dangerous_protocol", "alert_process_notification", "alert_quota_exceeded",
	"alert_remote_to_remote", "alert_request_reply_ratio", "alert_slow_periodic_activity",
	"alert_slow_purge", "alert_snmp_device_reset", "alert_snmp_topology_changed",
	"alert_suspicious_activity", "alert_tcp_syn_flood", "alert_tcp_syn_scan", "alert_test_failed",
	"alert_threshold_cross", "alert_too_many_drops", "alert_udp_unidirectional",
	"alert_unresponsive_device", "alert_user_activity", "alert_user_script_calls_drops",
	"alert_web_mining", "alert_connection_issues", "alert_suspicious_file_transfer",
	"alert_known_proto_on_non_std_port", "alert_host_log", "alert_attack_mitigation_via_snmp",
	"alert_iec104_error", "alert_flow_risk", "alert_unexpected_dns_server",
	"alert_unexpected_smtp_server", "alert_unexpected_dhcp_server", "alert_unexpected_ntp_server",
	"alert_too_many_retransmissions", "alert_lateral_movement", "alert_list_download_succeeded",
}

// UserTypeBase is the id of alert_user_01; user keys run to alert_user_05.
const UserTypeBase = 32768

var typeTable = func() []TypeInfo {
	var out []TypeInfo
	for id, k := range alertKeys {
		if k != "" {
			out = append(out, TypeInfo{ID: id, Key: k, Title: keyTitle(k)})
		}
	}
	for i := 1; i <= 5; i++ {
		k := "alert_user_0" + string(rune('0'+i))
		out = append(out, TypeInfo{ID: UserTypeBase + i - 1, Key: k, Title: keyTitle(k)})
	}
	return out
}()

var typeByKey = func() map[string]TypeInfo {
	m := make(map[string]TypeInfo, len(typeTable))
	for _, t := range typeTable {
		m[t.Key] = t
	}
	return m
}()

// Types lists the known alert types in id order.
func Types() []TypeInfo { return append([]TypeInfo(nil), typeTable...) }

// TypeByKey resolves "alert_threshold_cross" (the "alert_" prefix may be
// omitted) to its type.
func TypeByKey(key string) (TypeInfo, bool) {
	if t, ok := typeByKey[key]; ok {
		return t, true
	}
	t, ok := typeByKey["alert_"+key]
	return t, ok
}

// TypeByID returns the type with the numeric key id. Unknown ids, such as
// those of third-party plugins ((PEN<<16)+key), get a generated name.
func TypeByID(id int) (TypeInfo, bool) {
	if id > 0 && id < len(alertKeys) {
		return typeByKey[alertKeys[id]], true
	}
	if id >= UserTypeBase && id < UserTypeBase+5 {
		return typeTable[len(typeTable)-5+id-UserTypeBase], true
	}
	return TypeInfo{ID: id, Key: "alert_" + itoa(id), Title: "Alert " + itoa(id)}, false
}

// keyTitle turns "alert_tcp_syn_flood" into "Tcp Syn Flood".
func keyTitle(k string) string {
	words := strings.Split(strings.TrimPrefix(k, "alert_"), "_")
	for i, w := range words {
		words[i] = capitalize(w)
	}
	return strings.Join(words, " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
