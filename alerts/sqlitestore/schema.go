package sqlitestore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// SchemaVersion is written to PRAGMA user_version. A later release that
// changes the tables adds a step to migrations and bumps it; Start runs
// the steps between the file's version and this one in one transaction.
const SchemaVersion = 2

// colType is how a column is compared and bound: integers are parsed
// before they reach SQL, texts are bound as they are.
type colType int

const (
	colInt colType = iota
	colText
	colReal
)

type column struct {
	name string
	typ  colType
	ddl  string // the column definition after the name
	// fixed columns are never filled by flowgate (ntopng's roles, names,
	// ClickHouse-only fields): inserts leave them to the DEFAULT of ddl,
	// which def repeats for the filters on engaged alerts. Every bound
	// value costs the writer two calls into SQLite (a parameter lookup and
	// the bind, each under the connection's mutex), and a flow row had 13
	// of them always 0 or NULL.
	fixed bool
	def   any
}

// Family is an ntopng 5 alert family: the name in REST paths
// (get/<family>/alert/list.lua) and the key of one table.
type Family string

// The families, one table each (ntopng 5 alert_store_schema.sql).
const (
	FamilyHost      Family = "host"
	FamilyFlow      Family = "flow"
	FamilyInterface Family = "interface"
	FamilyNetwork   Family = "network"
	FamilyMAC       Family = "mac"
	FamilySNMP      Family = "snmp_device"
	FamilyUser      Family = "user"
	FamilySystem    Family = "system"
	FamilyAMHost    Family = "am_host"
)

// table is one family's table: ntopng's common columns, the family's own
// columns, and how an alert fills them.
type table struct {
	family Family
	name   string
	own    []column
	// values returns the family columns of a, in own's order.
	values func(a *alerts.Alert) []any
}

// common are the columns of every table: ntopng's (rowid .. user_label_tstamp)
// then flowgate's, which keep what a notification carries so that a
// stored alert reads back as the alert.Alert it was (entity_id,
// entity_val, subtype, script_key, subdir, category, pool_id, action).
var common = []column{
	{name: "rowid", typ: colInt, ddl: "INTEGER PRIMARY KEY"},
	{name: "alert_id", typ: colInt, ddl: "INTEGER NOT NULL"},
	{name: "alert_status", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "interface_id", typ: colInt, ddl: "INTEGER NULL"},
	{name: "tstamp", typ: colInt, ddl: "INTEGER NOT NULL"},
	{name: "tstamp_end", typ: colInt, ddl: "INTEGER NULL DEFAULT 0"},
	{name: "severity", typ: colInt, ddl: "INTEGER NOT NULL"},
	{name: "score", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "granularity", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "counter", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 1", fixed: true, def: int64(1)},
	fixedText("description"),
	{name: "json", typ: colText, ddl: "TEXT NULL"},
	{name: "user_label", typ: colText, ddl: "TEXT NULL"},
	{name: "user_label_tstamp", typ: colInt, ddl: "INTEGER NULL DEFAULT 0", fixed: true, def: int64(0)},
	{name: "entity_id", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "entity_val", typ: colText, ddl: "TEXT NULL"},
	{name: "subtype", typ: colText, ddl: "TEXT NULL"},
	{name: "script_key", typ: colText, ddl: "TEXT NULL"},
	{name: "subdir", typ: colText, ddl: "TEXT NULL"},
	{name: "category", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "pool_id", typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"},
	{name: "action", typ: colText, ddl: "TEXT NULL"},
}

func commonValues(a *alerts.Alert) []any {
	status := StatusHistorical
	if a.Acknowledged {
		status = StatusAcknowledged
	}
	score := 0
	if a.Flow != nil {
		score = a.Flow.Score
	}
	var label any
	if a.UserLabel != "" {
		label = a.UserLabel
	}
	return []any{int64(a.ID), a.Type, int(status), a.IfID, a.Tstamp, a.TstampEnd, int(a.Severity), score,
		a.Granularity, a.JSON, label, int(a.Entity), a.EntityVal, a.Subtype, a.Script,
		a.Subdir, a.Category, a.PoolID, string(a.Action)}
}

func intCol(name string) column {
	return column{name: name, typ: colInt, ddl: "INTEGER NOT NULL DEFAULT 0"}
}
func textCol(name string) column   { return column{name: name, typ: colText, ddl: "TEXT NULL"} }
func fixedInt(name string) column  { c := intCol(name); c.fixed, c.def = true, int64(0); return c }
func fixedText(name string) column { c := textCol(name); c.fixed = true; return c }

var tables = []*table{
	{family: FamilyHost, name: "host_alerts",
		own: []column{intCol("ip_version"), {name: "ip", typ: colText, ddl: "TEXT NOT NULL DEFAULT ''"}, intCol("vlan_id"),
			fixedText("name"), fixedInt("is_attacker"), fixedInt("is_victim"), fixedInt("is_client"), fixedInt("is_server"),
			fixedText("country")},
		values: func(a *alerts.Alert) []any {
			ip, vlan := splitHostKey(a.EntityVal)
			return []any{ipVersion(ip), ip, vlan}
		}},
	{family: FamilyFlow, name: "flow_alerts",
		own: []column{intCol("ip_version"), {name: "cli_ip", typ: colText, ddl: "TEXT NOT NULL DEFAULT ''"},
			{name: "srv_ip", typ: colText, ddl: "TEXT NOT NULL DEFAULT ''"}, intCol("cli_port"), intCol("srv_port"), intCol("vlan_id"),
			fixedInt("is_cli_attacker"), fixedInt("is_cli_victim"), fixedInt("is_srv_attacker"), fixedInt("is_srv_victim"),
			intCol("proto"), intCol("l7_proto"), intCol("l7_master_proto"), fixedInt("l7_cat"),
			fixedText("cli_name"), fixedText("srv_name"), textCol("cli_country"), textCol("srv_country"),
			intCol("cli_blacklisted"), intCol("srv_blacklisted"), intCol("cli2srv_bytes"), intCol("srv2cli_bytes"),
			intCol("cli2srv_pkts"), intCol("srv2cli_pkts"), intCol("first_seen"), fixedText("community_id"),
			fixedInt("flow_risk_bitmap"),
			// flowgate's: the rest of a 4.2 flow alert notification
			intCol("flow_status"), textCol("proto_ndpi"), textCol("info"), textCol("cli_os"), textCol("srv_os"),
			intCol("cli_asn"), intCol("srv_asn"), intCol("cli_localhost"), intCol("srv_localhost"), intCol("replace_alert")},
		values: func(a *alerts.Alert) []any {
			f := a.Flow
			if f == nil {
				f = &alerts.FlowInfo{}
			}
			return []any{ipVersion(f.Cli.Addr), f.Cli.Addr, f.Srv.Addr, f.Cli.Port, f.Srv.Port, f.VLAN,
				f.Proto, f.L7Proto, f.L7Master, nullStr(f.Cli.Country), nullStr(f.Srv.Country),
				b2i(f.Cli.Blacklisted), b2i(f.Srv.Blacklisted), int64(f.Cli2SrvBytes), int64(f.Srv2CliBytes),
				int64(f.Cli2SrvPkts), int64(f.Srv2CliPkts), f.FirstSeen,
				f.Status, f.ProtoNDPI, nullStr(f.Info), nullStr(f.Cli.OS), nullStr(f.Srv.OS), int64(f.Cli.ASN), int64(f.Srv.ASN),
				b2i(f.Cli.Localhost), b2i(f.Srv.Localhost), b2i(f.ReplaceAlert)}
		}},
	{family: FamilyInterface, name: "interface_alerts",
		own: []column{intCol("ifid"), fixedText("name"), fixedText("alias")},
		values: func(a *alerts.Alert) []any {
			return []any{a.IfID}
		}},
	{family: FamilyNetwork, name: "network_alerts",
		own: []column{fixedInt("local_network_id"), textCol("name"), fixedText("alias")},
		values: func(a *alerts.Alert) []any {
			return []any{a.EntityVal}
		}},
	{family: FamilyMAC, name: "mac_alerts",
		own: []column{textCol("address"), fixedInt("device_type"), fixedText("name"), fixedInt("is_attacker"), fixedInt("is_victim")},
		values: func(a *alerts.Alert) []any {
			return []any{a.EntityVal}
		}},
	{family: FamilySNMP, name: "snmp_alerts",
		own: []column{{name: "ip", typ: colText, ddl: "TEXT NOT NULL DEFAULT ''"}, {name: "port", typ: colInt, ddl: "INTEGER NULL", fixed: true},
			fixedText("name"), fixedText("port_name")},
		values: func(a *alerts.Alert) []any {
			return []any{a.EntityVal}
		}},
	{family: FamilyUser, name: "user_alerts",
		own: []column{textCol("user")},
		values: func(a *alerts.Alert) []any {
			return []any{a.EntityVal}
		}},
	{family: FamilySystem, name: "system_alerts",
		own: []column{textCol("name")},
		values: func(a *alerts.Alert) []any {
			return []any{a.EntityVal}
		}},
	{family: FamilyAMHost, name: "active_monitoring_alerts",
		own: []column{textCol("resolved_ip"), textCol("resolved_name"), textCol("measurement"),
			intCol("measure_threshold"), {name: "measure_value", typ: colReal, ddl: "REAL NULL DEFAULT 0"}},
		values: amValues},
}

// amValues fills active_monitoring_alerts' own columns from the alert's
// JSON as ntopng's am_alert_store does (activemon writes host, measurement,
// ip, threshold and value there): resolved_name is the monitored host,
// resolved_ip the address it resolved to. An alert without that JSON
// keeps its key (measurement@host) as the name.
func amValues(a *alerts.Alert) []any {
	var j struct {
		Host        string  `json:"host"`
		Measurement string  `json:"measurement"`
		IP          string  `json:"ip"`
		Threshold   float64 `json:"threshold"`
		Value       float64 `json:"value"`
	}
	if json.Unmarshal([]byte(a.JSON), &j) != nil || j.Host == "" {
		return []any{nil, a.EntityVal, nil, int64(0), 0.0}
	}
	return []any{nullStr(j.IP), j.Host, j.Measurement, int64(j.Threshold), j.Value}
}

var tableByFamily = func() map[Family]*table {
	m := map[Family]*table{}
	for _, t := range tables {
		m[t.family] = t
	}
	return m
}()

var tableByName = func() map[string]*table {
	m := map[string]*table{}
	for _, t := range tables {
		m[t.name] = t
	}
	return m
}()

// Families lists the families in table order.
func Families() []Family {
	out := make([]Family, len(tables))
	for i, t := range tables {
		out[i] = t.family
	}
	return out
}

// Table is the SQL table of a family ("" when unknown).
func (f Family) Table() string {
	if t := tableByFamily[f]; t != nil {
		return t.name
	}
	return ""
}

// FamilyOf is the family (table) an alert is stored in: ntopng 5 puts the
// system interface's alerts (ifid -1) and those of the process, periodic
// activity, InfluxDB, category lists, host pool and test entities in
// system_alerts.
func FamilyOf(a *alerts.Alert) Family {
	switch a.Entity {
	case alerts.EntityHost:
		return FamilyHost
	case alerts.EntityFlow:
		return FamilyFlow
	case alerts.EntityInterface:
		if a.IfID == -1 {
			return FamilySystem
		}
		return FamilyInterface
	case alerts.EntityNetwork:
		return FamilyNetwork
	case alerts.EntityMAC:
		return FamilyMAC
	case alerts.EntitySNMPDevice:
		return FamilySNMP
	case alerts.EntityUser:
		return FamilyUser
	case alerts.EntityAMHost:
		return FamilyAMHost
	}
	return FamilySystem
}

// columns of t: common then own.
func (t *table) columns() []column { return append(append([]column(nil), common...), t.own...) }

// filled are the columns an insert binds, in the order of commonValues
// then t.values.
func (t *table) filled() []column {
	var out []column
	for _, c := range t.columns() {
		if !c.fixed {
			out = append(out, c)
		}
	}
	return out
}

func (t *table) column(name string) (column, bool) {
	for _, c := range common {
		if c.name == name {
			return c, true
		}
	}
	for _, c := range t.own {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}

func (t *table) ddl() []string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", t.name)
	cols := t.columns()
	for i, c := range cols {
		sep := ",\n"
		if i == len(cols)-1 {
			sep = "\n"
		}
		fmt.Fprintf(&b, "  %s %s%s", quoteIdent(c.name), c.ddl, sep)
	}
	b.WriteString(")")
	out := []string{b.String()}
	idx := func(name string, cols ...string) {
		out = append(out, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_i_%s ON %s(%s)", t.name, name, t.name, strings.Join(cols, ",")))
	}
	// ntopng's indexes, with changes the planner and the counts need:
	// none on alert_status alone (two values: it misleads the planner and
	// slows inserts; queries test it with a unary + so that no index is
	// sought on it); the address before the VLAN, since an address
	// filter without a VLAN means any VLAN; and the filter indexes end
	// with (alert_status, interface_id, tstamp), which every list tests,
	// so that a count or a page of row ids is answered from the index
	// without reading the rows. Plus (interface_id, tstamp) for the
	// per-interface lists. flow_risk_bitmap is not indexed: flowgate does
	// not fill it yet.
	tail := []string{"alert_status", "interface_id", "tstamp"}
	covering := func(name string, cols ...string) { idx(name, append(cols, tail...)...) }
	covering("id", "alert_id")
	covering("severity", "severity")
	idx("tstamp", "tstamp")
	idx("ifid_tstamp", "interface_id", "tstamp")
	switch t.family {
	case FamilyHost:
		covering("ip", "ip", "vlan_id")
	case FamilyFlow:
		covering("cli_ip", "cli_ip", "vlan_id")
		covering("srv_ip", "srv_ip", "vlan_id")
		// Covering since version 2 (migrations[1]): a port filter
		// counted its matches by reading each row for its status and
		// interface (56 ms p50 for a port every alert has, over 1M).
		covering("cli_port", "cli_port")
		covering("srv_port", "srv_port")
		covering("l7_proto", "l7_proto")
		covering("l7_master_proto", "l7_master_proto")
	case FamilyMAC:
		idx("address", "address")
	case FamilySNMP:
		idx("ip", "ip")
	}
	return out
}

// insertSQL inserts rows alerts in one statement (fewer statement
// executions per batch: a third less CPU per alert than one per row).
func (t *table) insertSQL(rows int) string {
	cols := t.filled()
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
		marks[i] = "?"
	}
	tuple := "(" + strings.Join(marks, ",") + ")"
	tuples := make([]string, rows)
	for i := range tuples {
		tuples[i] = tuple
	}
	return fmt.Sprintf("INSERT OR IGNORE INTO %s (%s) VALUES %s", t.name, strings.Join(names, ","), strings.Join(tuples, ","))
}

// migrations[v] brings a file at user_version v to v+1.
var migrations = []func(tx *sql.Tx) error{
	0: func(tx *sql.Tx) error {
		for _, t := range tables {
			for _, stmt := range t.ddl() {
				if _, err := tx.Exec(stmt); err != nil {
					return fmt.Errorf("%s: %w", t.name, err)
				}
			}
		}
		return nil
	},
	// Version 2: the flow port indexes cover (alert_status,
	// interface_id, tstamp) as the other filter indexes do.
	1: func(tx *sql.Tx) error {
		t := tableByFamily[FamilyFlow]
		for _, ix := range []string{"flow_alerts_i_cli_port", "flow_alerts_i_srv_port"} {
			if _, err := tx.Exec("DROP INDEX IF EXISTS " + ix); err != nil {
				return fmt.Errorf("%s: %w", ix, err)
			}
		}
		for _, stmt := range t.ddl() {
			if _, err := tx.Exec(stmt); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		// A file whose table has planner statistics gets them for the
		// new indexes too: without them the planner took the port index
		// for a port every alert has and sorted a million rows (1.9 s).
		// PRAGMA optimize would not: the table is analyzed already.
		var analyzed int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&analyzed); err != nil {
			return err
		}
		if analyzed > 0 {
			for _, ix := range []string{"flow_alerts_i_cli_port", "flow_alerts_i_srv_port"} {
				if _, err := tx.Exec("ANALYZE " + ix); err != nil {
					return fmt.Errorf("%s: %w", ix, err)
				}
			}
		}
		return nil
	},
}

func quoteIdent(s string) string { return `"` + s + `"` }

func splitHostKey(k string) (ip string, vlan int) {
	if i := strings.LastIndexByte(k, '@'); i >= 0 {
		if v, err := strconv.Atoi(k[i+1:]); err == nil {
			return k[:i], v
		}
	}
	return k, 0
}

func ipVersion(ip string) int {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return 0
	case a.Is4() || a.Is4In6():
		return 4
	}
	return 6
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
