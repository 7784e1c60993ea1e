package web

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/activemon"
	"flowgate/alerts"
	"flowgate/alerts/recipients"
	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
	"flowgate/history"
	"flowgate/snmp"
	"flowgate/web/users"
)

var updateCoverage = flag.Bool("update-coverage", false, "rewrite docs/rest-coverage.md from the OpenAPI walk")

// outOfScope are the community paths flowgate leaves out, by prefix, with why.
var outOfScope = []struct{ match, why string }{
	{"pcap/", "pcap extraction and live capture: flowgate keeps no packets (collector)"},
	{"to_scan", "vulnerability scans: an active scanner, not a collector's job"},
	{"vulnerability_scan", "vulnerability scans: an active scanner, not a collector's job"},
	{"update_va_scan_period", "vulnerability scans: an active scanner, not a collector's job"},
	{"network/discovery", "network discovery: active ARP/SSDP/MDNS probing"},
	{"infrastructure", "ntopng infrastructure dashboard (multi-instance ntopng), not a collector's job"},
	{"health/influxdb", "flowgate's time series are its own store, not InfluxDB"},
}

// servedOutsideWeb are in-scope paths another component mounts on the
// server in cmd/flowgate (not on the test server).
var servedOutsideWeb = map[string]string{
	"/lua/rest/v2/enable/check.lua":          "lua/scripts (scripts.PathEnableCheck)",
	"/lua/rest/v2/disable/check.lua":         "lua/scripts (scripts.PathDisableCheck)",
	"/lua/rest/v2/get/checks/config.lua":     "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/set/checks/config.lua":     "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/export/checks/config.lua":  "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/import/checks/config.lua":  "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/reset/checks/config.lua":   "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/export/scripts/config.lua": "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/import/scripts/config.lua": "cmd/flowgate (HandleConfigModule over lua/scripts)",
	"/lua/rest/v2/export/snmp/config.lua":    "HandleSNMP (the SNMP poller's devices)",
	"/lua/rest/v2/import/snmp/config.lua":    "HandleSNMP (the SNMP poller's devices)",
	"/lua/rest/v2/reset/snmp/config.lua":     "HandleSNMP (the SNMP poller's devices)",

	// The historical flows (-F clickhouse; tested with a real ClickHouse).
	"/lua/pro/rest/v2/get/db/flows.lua":                "HandleProDB (web/pro_db_test.go)",
	"/lua/pro/rest/v2/get/db/topk_flows.lua":           "HandleProDB (web/pro_db_test.go)",
	"/lua/pro/rest/v2/get/db/historical_db_search.lua": "HandleProDB (web/pro_db_test.go)",
}

// proServed are the Pro paths flowgate serves (pro_rest.go, pro_snmp.go):
// the walk checks them as it checks community paths.
var proServed = map[string]bool{
	"/lua/pro/rest/v2/get/flowdevices/stats.lua":            true,
	"/lua/pro/rest/v2/get/flowdevice/stats.lua":             true,
	"/lua/pro/rest/v2/get/sflowdevices/stats.lua":           true,
	"/lua/pro/rest/v2/get/sflowdevice/stats.lua":            true,
	"/lua/pro/rest/v2/get/snmp/device/list.lua":             true,
	"/lua/pro/rest/v2/get/snmp/device/interfaces.lua":       true,
	"/lua/pro/rest/v2/get/snmp/device/system.lua":           true,
	"/lua/pro/rest/v2/get/snmp/device/lldp.lua":             true,
	"/lua/pro/rest/v2/get/snmp/device/bridge.lua":           true,
	"/lua/pro/rest/v2/add/snmp/device.lua":                  true,
	"/lua/pro/rest/v2/edit/snmp/device/device.lua":          true,
	"/lua/pro/rest/v2/delete/snmp/device.lua":               true,
	"/lua/pro/rest/v2/get/snmp/device/alert/list.lua":       true,
	"/lua/pro/rest/v2/get/snmp/device/alert/ts.lua":         true,
	"/lua/pro/rest/v2/get/snmp/device/alert/top.lua":        true,
	"/lua/pro/rest/v2/acknowledge/snmp/device/alerts.lua":   true,
	"/lua/pro/rest/v2/delete/snmp/device/alerts.lua":        true,
	"/lua/pro/rest/v2/get/interface/top/local/talkers.lua":  true,
	"/lua/pro/rest/v2/get/interface/top/remote/talkers.lua": true,
	"/lua/pro/rest/v2/get/interface/top/l7_stats.lua":       true,
	"/lua/pro/rest/v2/get/system/data.lua":                  true,
	"/lua/pro/rest/v2/get/all/alert/top.lua":                true,
	"/lua/pro/rest/v2/get/flow/alert/top.lua":               true,
	"/lua/pro/rest/v2/get/host/alert/top.lua":               true,
	"/lua/pro/rest/v2/get/interface/alert/top.lua":          true,
	"/lua/pro/rest/v2/get/mac/alert/top.lua":                true,
	"/lua/pro/rest/v2/get/network/alert/top.lua":            true,
	"/lua/pro/rest/v2/get/system/alert/top.lua":             true,
	"/lua/pro/rest/v2/get/user/alert/top.lua":               true,
	"/lua/pro/rest/v2/get/am_host/alert/top.lua":            true,
	"/lua/pro/rest/v2/get/timeseries/ts_multi.lua":          true,
	"/lua/pro/rest/v2/add/alert/exclusion.lua":              true,
	"/lua/pro/rest/v2/get/alert/exclusion.lua":              true,
	"/lua/pro/rest/v2/delete/alert/exclusion.lua":           true,
	"/lua/pro/rest/v2/delete/all/alert/exclusions.lua":      true,
	"/lua/pro/rest/v2/delete/host/alert/exclusions.lua":     true,
	"/lua/pro/rest/v2/delete/flow/alert/exclusions.lua":     true,
	"/lua/pro/rest/v2/get/host/alert/exclusions.lua":        true,
	"/lua/pro/rest/v2/get/flow/alert/exclusions.lua":        true,
	"/lua/pro/rest/v2/get/observation_points/stats.lua":     true,
	"/lua/pro/rest/v2/get/observation_points/alias.lua":     true,
	"/lua/pro/rest/v2/set/observation_points/alias.lua":     true,
	"/lua/pro/rest/v2/get/db/flows.lua":                     true,
	"/lua/pro/rest/v2/get/db/topk_flows.lua":                true,
	"/lua/pro/rest/v2/get/db/historical_db_search.lua":      true,
}

// knownMissing are in-scope paths flowgate does not serve yet: the list
// only shrinks (the test fails when a listed path is served).
var knownMissing = map[string]bool{}

func scopeOf(path string) (inScope bool, why string) {
	if strings.HasPrefix(path, "/lua/pro/") {
		if proServed[path] {
			return true, ""
		}
		return false, "Pro path flowgate serves no equivalent of (yet)"
	}
	for _, o := range outOfScope {
		if strings.Contains(path, o.match) {
			return false, o.why
		}
	}
	return true, ""
}

// walkServer is a server with a populated engine: local network
// 10.1.0.0/16, flows between 10.1.0.5 and two remote peers, a probe event,
// the alert store, and every handler group web has.
func walkServer(t *testing.T) *Server {
	t.Helper()
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	eng := engine.New(ecfg)
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	now := uint32(time.Now().Unix())
	b := i.NewBatch()
	for n, peer := range []string{"192.0.2.9", "198.51.100.7", "10.1.255.255"} {
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr("10.1.0.5"), netip.MustParseAddr(peer), uint16(40000+n), 443, 6
		if n == 2 {
			f.Proto, f.DstPort = 17, 53
		}
		f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = 1000*uint64(n+1), 3, 500, 2
		f.FirstSwitched, f.LastSwitched = now-5, now
		f.L7Set, f.L7App = true, 91
		if n < 2 { // through the gateway 02:00:00:00:00:01 (get/interface/arp.lua)
			f.SrcMAC, f.DstMAC = [6]byte{2, 0, 0, 0, 0, 5}, [6]byte{2, 0, 0, 0, 0, 1}
			f.JA3C, f.JA3S = "ja3client0", "ja3server"+strconv.Itoa(n)
		}
		if n == 2 {
			f.L7App = 5
		}
	}
	b.Events = append(b.Events, engine.ProbeEvent{SourceID: 7, IfName: "eth1", IfIP: "10.1.0.1", Version: "10.2.1",
		ProbeIP: "10.1.0.1", Edition: "Enterprise", UUID: "u-1", Packets: 1234, NumFlowExports: 3})
	i.Process(b)
	dir := t.TempDir()
	ucfg := users.DefaultConfiguration()
	ucfg.Path = filepath.Join(dir, users.FileName)
	us := users.New(ucfg, users.Dependencies{})
	if err := us.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(us.Stop)
	db := startAlertDB(t, dir)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	ts := startHistory(t, dir)
	rm := recipients.New(recipients.Configuration{DataDir: dir})
	if err := rm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rm.Stop)
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng, Alerts: st, Users: us})
	// What cmd/flowgate mounts.
	s.HandleAlertStore(db, st)
	s.HandleTimeseries(ts)
	s.HandleRecipients(rm)
	s.HandleSNMP(snmp.New(snmp.Configuration{DataDir: dir}, snmp.Deps{}), nil)
	am, err := activemon.New(activemon.Configuration{DataDir: dir, Disabled: true}, activemon.Deps{Alerts: st})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleActiveMonitoring(am)
	s.HandleFlowDevices() // mounted with or without netflow:// and sflow:// interfaces
	return s
}

// startAlertDB starts an alert store in dir, stopped with the test.
func startAlertDB(t *testing.T, dir string) *sqlitestore.DB {
	t.Helper()
	db := sqlitestore.New(sqlitestore.Configuration{DataDir: dir})
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	return db
}

// startHistory starts a time-series store in dir (maintenance hourly: not
// during a test), stopped with the test.
func startHistory(t *testing.T, dir string) *history.Store {
	t.Helper()
	hcfg := history.DefaultConfiguration()
	hcfg.Path, hcfg.MaintainEvery = filepath.Join(dir, history.FileName), time.Hour
	hs := history.New(hcfg)
	if err := hs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Stop)
	return hs
}

// call does one request against the mux (no login) with form or query
// parameters; POST sends them as a form.
func call(t *testing.T, s *Server, method, path string, kv map[string]string) (int, map[string]any) {
	t.Helper()
	form := url.Values{}
	for k, v := range kv {
		form.Set(k, v)
	}
	var r *http.Request
	if method == http.MethodPost {
		r = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, path+"?"+form.Encode(), nil)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	var env map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env
}

// getRsp GETs path: with rc "" it wants a 200 and decodes the answer's rsp
// into out, reporting true; otherwise it wants the refusal rc (not a 200)
// and reports false.
func getRsp(t *testing.T, s *Server, path string, kv map[string]string, rc string, out any) bool {
	t.Helper()
	code, env := call(t, s, http.MethodGet, path, kv)
	if rc != "" {
		if code == 200 || env["rc_str"] != rc {
			t.Fatalf("%d %v, want %s", code, env, rc)
		}
		return false
	}
	if code != 200 {
		t.Fatalf("%d %v", code, env)
	}
	raw, _ := json.Marshal(env["rsp"])
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
	return true
}

// walkParams are values for every parameter name the OpenAPI file uses
// that the populated engine has.
var walkParams = map[string]string{"ifid": "0", "host": "10.1.0.5", "vlan": "0", "ndpistats_mode": "count",
	"custom_name": "x", "custom_notes": "n", "network_cidr": "10.1.0.0/16", "info": "i", "page": "host",
	"ip": "10.1.0.5", "hostname": "127.0.0.1", "country_id": "IT", "serial_key": "1"}

func routeServed(s *Server, path string) bool {
	_, pattern := s.mux.Handler(httptest.NewRequest(http.MethodGet, path, nil))
	return pattern != "/lua/rest/v2/"
}

func TestOpenAPIWalk(t *testing.T) {
	raw, err := os.ReadFile("testdata/ntopng_rest_v2/rest-api-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name string } `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	s := walkServer(t)
	type row struct{ path, status, note string }
	var rows []row
	var missing []string
	for path, ops := range spec.Paths {
		in, why := scopeOf(path)
		if !in {
			rows = append(rows, row{path, "left out", why})
			continue
		}
		if where, ok := servedOutsideWeb[path]; ok {
			rows = append(rows, row{path, "served", "by " + where})
			continue
		}
		for method, op := range ops {
			kv := map[string]string{}
			for _, p := range op.Parameters {
				if v, ok := walkParams[p.Name]; ok {
					kv[p.Name] = v
				}
			}
			code, env := call(t, s, strings.ToUpper(method), path, kv)
			served := routeServed(s, path)
			if code == http.StatusNotFound {
				if hr, _ := env["rc_str_hr"].(string); strings.HasPrefix(hr, "unknown REST endpoint") {
					served = false
				}
			}
			if code >= 500 {
				t.Errorf("%s %s: %d %v", method, path, code, env)
			}
			switch {
			case served && knownMissing[path]:
				t.Errorf("%s is served now: remove it from knownMissing", path)
			case !served && !knownMissing[path]:
				t.Errorf("%s answers 404 (not served)", path)
			}
			if served {
				rows = append(rows, row{path, "served", ""})
			} else {
				rows = append(rows, row{path, "missing", "not yet"})
				missing = append(missing, path)
			}
		}
	}
	for path := range knownMissing {
		if _, ok := spec.Paths[path]; !ok {
			t.Errorf("knownMissing lists %s, which the OpenAPI file lacks", path)
		}
	}
	sort.Strings(missing)
	if testing.Verbose() {
		for _, m := range missing {
			fmt.Printf("\t%q: true,\n", m)
		}
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].path < rows[b].path })
	var in, served int
	var b strings.Builder
	var proServedN int
	for _, r := range rows {
		if strings.HasPrefix(r.path, "/lua/pro/") {
			if r.status == "served" {
				proServedN++
			}
			continue
		}
		if r.status != "left out" {
			in++
		}
		if r.status == "served" {
			served++
		}
	}
	fmt.Fprintf(&b, "# ntopng REST v2 coverage\n\nGenerated by `go test ./web -run TestOpenAPIWalk -update-coverage` from ntopng's OpenAPI\n"+
		"file (`web/testdata/ntopng_rest_v2/rest-api-v2.json`); the test fails when this file differs from the walk.\n"+
		"A path is served when flowgate routes it (any answer but the catch-all 404).\n\n"+
		"Community paths in scope: %d; served: %d. Pro paths served: %d (the others and out-of-scope community paths are listed as left out).\n\n"+
		"| path | status | note |\n|---|---|---|\n", in, served, proServedN)
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.path, r.status, r.note)
	}
	b.WriteString(coverageNotes)
	doc := filepath.Join("..", "docs", "rest-coverage.md")
	if *updateCoverage {
		if err := os.WriteFile(doc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(doc)
	if err != nil || string(got) != b.String() {
		t.Errorf("docs/rest-coverage.md is out of date: go test ./web -run TestOpenAPIWalk -update-coverage")
	}
}

// coverageNotes are the facts behind answers that differ from ntopng's.
const coverageNotes = `
## Where answers differ from ntopng

- ` + "`get/interface/l7/stats.lua`" + `, ` + "`get/host/l7/stats.lua`" + ` with ` + "`breed=true`" + `: flowgate has nDPI's
  categories but not its breeds; every application is "Unrated".
- ` + "`get/host/l7/stats.lua`" + `: ` + "`duration`" + ` is the host's active time (flowgate keeps no
  per-application time), an upper bound.
- ` + "`get/interface/bcast_domains.lua`" + `: ntopng learns broadcast domains from ARP, which flow
  exports lack; flowgate lists the local networks where broadcast traffic was seen.
- ` + "`get/interface/address.lua`" + `: the capture-interface addresses the probes report in their events.
- ` + "`delete/host/inactive_host.lua`" + `: flowgate keeps no inactive hosts (idle hosts leave the
  engine), so a serial key answers NOT_FOUND; ` + "`serial_key=all`" + ` deletes none.
- ` + "`get/dns/resolve.lua`" + `: answers from the resolver cache; the system resolver only with
  ` + "`Configuration.DNSResolve`" + `; otherwise NAME_RESOLUTION_FAILED (rc -9, status 400, the one rc table's).
- Writes (` + "`set/*`" + `, ` + "`delete/host/inactive_host.lua`" + `, ` + "`trigger/host/alert.lua`" + `) need POST
  (CSRF with a cookie session) and an administrator, although the OpenAPI file lists some as GET.
- Aliases and notes live in the ntop.*Cache store under ntopng's keys: ` + "`ntopng.prefs.ifid_<id>.name`" + `,
  hashes ` + "`ntopng.host_labels`" + ` and ` + "`ntopng.host_notes`" + ` (field ` + "`ip@vlan`" + `), ` + "`ntopng.network_labels`" + ` (field the CIDR).
- Host pools (package ` + "`pools`" + `, ` + "`host_pools.json`" + ` in the data dir): members are ` + "`IP/CIDR@vlan`" + ` or MACs; a host
  is in the pool of the longest member network on its VLAN. MAC members are kept, exported and
  answered, but match no host: flowgate's host table keeps no MAC. ` + "`get/host/pool/pools.lua?pool=N`" + ` answers ` + "`{\"N\": pool}`" + `, and ` + "`[pool]`" + ` for pool 1, as ntopng's
  JSON encoder writes ` + "`res[pool_id]`" + `. Alerts carry their host's pool (a flow alert its client's, else its
  server's), which a recipient's ` + "`pools=`" + ` filter selects on; the recipients listed in a pool are stored
  and answered by ` + "`get/recipient/pools.lua`" + ` (recipient id = the recipient's name) but do not route alerts.
- Custom categories (package ` + "`categories`" + `): hosts (names with their subdomains, addresses, networks)
  and application category overrides classify flows when their application is detected (TLS SNI,
  HTTP site or DNS query, then the server address, then the application). Custom application rules
  (` + "`custom_rules`" + `, protos.txt syntax) are stored and exported but define no new nDPI application.
  Lists loaded by Lua (` + "`ntop.loadCustomCategoryHost`" + `) stay Lua's (` + "`ntop.matchCustomCategory`" + `).
- Configuration backup: kinds ` + "`all`" + `, ` + "`pool`" + `, ` + "`notifications`" + ` (REST-added endpoints and recipients,
  with secrets), ` + "`snmp`" + ` (REST-added devices, with credentials), ` + "`checks`" + ` and ` + "`scripts`" + ` (user-script
  overrides), and flowgate's ` + "`categories`" + `, in ntopng's envelope ` + "`{version: \"1.0\", ntopng_version, modules}`" + `.
  Imports take ntopng's ` + "`JSON`" + ` form field (or a JSON body), validate every part before applying any
  (a part failing after validation answers PARTIAL_IMPORT), and skip modules flowgate lacks (listed
  in ` + "`rsp.skipped`" + `). An import or reset first saves the current configuration in
  ` + "`config_backups/`" + ` (the newest 30): ` + "`list_availabled_backups.lua`" + ` lists ` + "`{epoch, id, date}`" + `,
  ` + "`download_backup.lua?epoch=`" + ` takes the epoch or the id.
- Pro paths: ntopng does not publish Pro's answers; flowgate's follow the community shapes of the
  same figures: top talkers are host rows ` + "`{ip, name, vlan, label, value (bps), throughput_bps, bytes, host_pool_id}`" + `,
  ` + "`top/l7_stats.lua`" + ` ` + "`[{label, value}]`" + ` (bytes, the rest as Other), ` + "`alert/top.lua`" + ` ` + "`{alert_id: [...], severity: [...]}`" + `
  (counts, most frequent first). SNMP ` + "`lldp.lua`" + ` and ` + "`bridge.lua`" + ` (` + "`host`" + ` required, as for ` + "`system.lua`" + `) walk
  the device now (LLDP-MIB, BRIDGE-MIB; docs/snmp-topology.md): ` + "`lldp.lua`" + ` rows ` + "`{host, local_port, local_port_id,`" + `
  ` + "`local_port_descr, if_index, if_name, remote_chassis_id, remote_port_id, remote_port_descr, remote_sysname}`" + `,
  ` + "`bridge.lua`" + ` rows ` + "`{host, mac, port (ifIndex), bridge_port, if_name, status, vlan: 0}`" + `; a walk that fails (timeout)
  answers SNMP_DEVICE_UNREACHABLE. Pro SNMP writes take ntopng's ` + "`snmp_*`" + ` parameters (` + "`snmp_version`" + ` 0 v1, 1 v2c, 2 v3).
- ` + "`get/asn/asn_info.lua`" + `: the AS of each active host is the geolocation database's; ` + "`score`" + ` and ` + "`rtt`" + `
  are 0 (flowgate keeps neither per AS).
- ` + "`get/interface/arp.lua`" + `: ntopng counts ARP packets, which flow exports do not carry; flowgate
  answers the ARP table flows teach, ` + "`[{ip, vlan, mac, num_flows, last_seen}]`" + `: the MAC each local
  host's flows carried (an IP behind two MACs shows twice; at most 65,536 rows). ` + "`host=`" + ` keeps that host's rows.
- ` + "`get/host/fingerprint/data.lua`" + `: ` + "`ja3`" + ` (JA3C of the host's client flows, JA3S of its server flows),
  ` + "`ja4`" + ` (JA4C) from the host's active flows; ` + "`num_uses`" + ` counts active flows (ntopng: every flow of the
  host's life), ` + "`app_name`" + ` is "" (ntopng's eBPF process name). ` + "`hassh`" + ` is always ` + "`[]`" + `: no collector
  decodes SSH. An inactive host answers ` + "`[]`" + ` as in ntopng; a malformed one INVALID_HOST.
- ` + "`edit/ntopng/incr_flows.lua`" + `, ` + "`incr_hosts.lua`" + `: double every interface's limit at once (ntopng
  rewrites its configuration file for the next start); until restart, and at most 4 times the
  startup ` + "`-X`" + `/` + "`-x`" + ` (then 409 INVALID_ARGUMENTS). The answer lists ` + "`{ifid, max_num_flows|max_num_hosts}`" + `.
- ` + "`set/device/alias.lua`" + `: field ` + "`<MAC>`" + ` (upper case) of ` + "`ntopng.host_labels`" + `, as ntopng's setHostAltName.
- ` + "`delete/host/new_devices.lua`" + `: clears ` + "`ntopng.seen_devices.ifid_<id>`" + ` and each device's
  ` + "`ntopng.cache.checks.unexpected_new_device_plugins_enabled.<MAC>`" + ` (what user scripts keep through ntop.*Cache);
  ` + "`rsp.deleted`" + ` counts them.
- ` + "`delete/all/alerts.lua`" + `: every family's stored alerts that ` + "`ifid`" + `, the epoch range and the ` + "`alert_id`" + `,
  ` + "`severity`" + `, ` + "`score`" + ` filters select; ` + "`{count}`" + `.
- Writes need an administrator, or ntopng's capability for the object: ` + "`pools`" + ` for host pool writes,
  ` + "`snmp`" + ` for SNMP device writes.
`
