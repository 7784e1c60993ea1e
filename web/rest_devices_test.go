package web

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"flowgate/alerts"
)

// TestDeviceEndpoints: ARP pairs and fingerprints from the walk server's
// flows (10.1.0.5 behind 02:00:00:00:00:05, two TLS flows with JA3), the
// device alias and new-device reset in the ntop.*Cache store, and the
// flow and host limits doubled up to their ceiling.
func TestDeviceEndpoints(t *testing.T) {
	s := walkServer(t)
	const v2 = "/lua/rest/v2/"
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tc := range []struct {
		path string
		kv   map[string]string
		want string
	}{
		{v2 + "get/interface/arp.lua", map[string]string{"ifid": "0"},
			`[{"ip":"10.1.0.5","last_seen":LAST,"mac":"02:00:00:00:00:05","num_flows":2,"vlan":0}]`},
		{v2 + "get/interface/arp.lua", map[string]string{"ifid": "0", "host": "192.0.2.9"}, `[]`},
		{v2 + "get/host/fingerprint/data.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "fingerprint_type": "ja3"},
			`[{"app_name":"","hash":"ja3client0","is_malicious":false,"num_uses":2,"type":"JA3"}]`},
		{v2 + "get/host/fingerprint/data.lua", map[string]string{"ifid": "0", "host": "192.0.2.9", "fingerprint_type": "ja3"},
			`[{"app_name":"","hash":"ja3server0","is_malicious":false,"num_uses":1,"type":"JA3"}]`},
		{v2 + "get/host/fingerprint/data.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "fingerprint_type": "hassh"}, `[]`},
		{v2 + "get/host/fingerprint/data.lua", map[string]string{"ifid": "0", "host": "10.9.9.9", "fingerprint_type": "ja4"}, `[]`},
	} {
		code, env := call(t, s, http.MethodGet, tc.path, tc.kv)
		got := js(env["rsp"])
		if rows, ok := env["rsp"].([]any); ok && len(rows) == 1 && tc.path == v2+"get/interface/arp.lua" {
			// last_seen is the flows' clock: compare the rest.
			last := rows[0].(map[string]any)["last_seen"]
			tc.want = strings.Replace(tc.want, "LAST", js(last), 1)
		}
		if code != 200 || got != tc.want {
			t.Errorf("%s %v: %d %s, want %s", tc.path, tc.kv, code, got, tc.want)
		}
	}

	// set/device/alias.lua: ntopng's hash field is the upper-case MAC.
	if code, env := call(t, s, http.MethodPost, v2+"set/device/alias.lua", map[string]string{"device": "02:00:00:00:00:0a", "custom_name": "printer"}); code != 200 {
		t.Fatalf("set/device/alias.lua: %d %v", code, env)
	}
	if v, _, _ := s.kvStore().HGet(hostLabelsKey, "02:00:00:00:00:0A"); v != "printer" {
		t.Errorf("device alias = %q", v)
	}
	call(t, s, http.MethodPost, v2+"set/device/alias.lua", map[string]string{"device": "02:00:00:00:00:0A", "custom_name": ""})
	if _, ok, _ := s.kvStore().HGet(hostLabelsKey, "02:00:00:00:00:0A"); ok {
		t.Errorf("an empty custom_name keeps the alias")
	}

	// delete/host/new_devices.lua clears what the new-device check keeps.
	kv := s.kvStore()
	for _, mac := range []string{"02:00:00:00:00:05", "02:00:00:00:00:06"} {
		_ = kv.HSet(seenDevicesKeyPrefix+"0", mac, "1700000000")
		_ = kv.Set(newDeviceFlagPrefix+mac, "1", 0)
	}
	if code, env := call(t, s, http.MethodPost, v2+"delete/host/new_devices.lua", nil); code != 200 ||
		js(env["rsp"]) != `{"deleted":2}` {
		t.Errorf("delete/host/new_devices.lua: %d %v", code, env)
	}
	if all, _ := kv.HGetAll(seenDevicesKeyPrefix + "0"); len(all) != 0 {
		t.Errorf("seen devices left: %v", all)
	}
	if _, ok, _ := kv.Get(newDeviceFlagPrefix + "02:00:00:00:00:05"); ok {
		t.Errorf("new-device flag left")
	}

	// incr_flows.lua doubles the limit, twice, then refuses: 4x.
	start := s.deps.Engine.Config().MaxFlows
	for n, want := range []int{2, 4} {
		code, env := call(t, s, http.MethodPost, v2+"edit/ntopng/incr_flows.lua", nil)
		if got := js(env["rsp"]); code != 200 || got != `[{"ifid":0,"max_num_flows":`+itoa(start*want)+`}]` {
			t.Fatalf("incr_flows #%d: %d %s", n+1, code, got)
		}
	}
	if code, env := call(t, s, http.MethodPost, v2+"edit/ntopng/incr_flows.lua", nil); code != http.StatusConflict || env["rc_str"] != "INVALID_ARGUMENTS" {
		t.Errorf("incr_flows past the ceiling: %d %v", code, env)
	}
	code, env := call(t, s, http.MethodPost, v2+"edit/ntopng/incr_hosts.lua", nil)
	if got := js(env["rsp"]); code != 200 || got != `[{"ifid":0,"max_num_hosts":`+itoa(2*s.deps.Engine.Config().MaxHosts)+`}]` {
		t.Errorf("incr_hosts: %d %s", code, got)
	}
}

// TestDeleteAllAlerts: delete/all/alerts.lua deletes the stored alerts of
// every family its filters select, and no others.
func TestDeleteAllAlerts(t *testing.T) {
	s := walkServer(t)
	const v2 = "/lua/rest/v2/"
	for _, score := range []string{"5", "60", "70"} { // info, error, error
		if code, env := call(t, s, http.MethodPost, v2+"trigger/host/alert.lua",
			map[string]string{"ifid": "0", "host": "10.1.0.5", "score": score, "info": "i"}); code != 200 {
			t.Fatalf("trigger: %d %v", code, env)
		}
	}
	for _, tc := range []struct {
		kv   map[string]string
		code int
		rc   string
		n    float64
	}{
		{map[string]string{}, 400, "INVALID_INTERFACE", 0},
		{map[string]string{"ifid": "0", "severity": "5;sometimes"}, 400, "INVALID_ARGUMENTS", 0},
		{map[string]string{"ifid": "0", "status": "engaged"}, 400, "INVALID_ARGUMENTS", 0},
		{map[string]string{"ifid": "0", "severity": "5;eq"}, 200, "OK", 2},
		{map[string]string{"ifid": "0", "severity": "5;eq"}, 200, "OK", 0},
		{map[string]string{"ifid": "0"}, 200, "OK", 1},
	} {
		code, env := call(t, s, http.MethodPost, v2+"delete/all/alerts.lua", tc.kv)
		if code != tc.code || env["rc_str"] != tc.rc {
			t.Fatalf("%v: %d %v, want %d %s", tc.kv, code, env, tc.code, tc.rc)
		}
		if tc.code == 200 {
			if n := env["rsp"].(map[string]any)["count"]; n != tc.n {
				t.Errorf("%v: count %v, want %v", tc.kv, n, tc.n)
			}
		}
	}
}

// TestASNInfo: asn_info.lua groups the interface's hosts by the AS the
// geolocation gives them (10.1.0.5 and 10.1.255.255: AS 64500; the
// others: none) and answers ntopng's per-AS rows.
func TestASNInfo(t *testing.T) {
	s := walkServer(t)
	s.deps.Geo = func(ip netip.Addr) GeoInfo {
		if netip.MustParsePrefix("10.1.0.0/16").Contains(ip) {
			return GeoInfo{ASN: 64500, ASName: "LAB-NET"}
		}
		return GeoInfo{}
	}
	const path = "/lua/rest/v2/get/asn/asn_info.lua"
	for _, tc := range []struct {
		kv    map[string]string
		hosts float64
		rows  int
	}{
		{map[string]string{"ifid": "0"}, 2, 1},
		{map[string]string{"ifid": "0", "asn": "64500"}, 2, 1},
		{map[string]string{"ifid": "0", "asn": "15169"}, 0, 0},
	} {
		code, env := call(t, s, http.MethodGet, path, tc.kv)
		rows, _ := env["rsp"].([]any)
		if code != 200 || len(rows) != tc.rows {
			t.Fatalf("%v: %d %v", tc.kv, code, env)
		}
		if tc.rows == 1 {
			r := rows[0].(map[string]any)
			if r["id"] != 64500.0 || r["name"] != "LAB-NET" || r["num_hosts"] != tc.hosts || r["bytes_sent"].(float64) <= 0 {
				t.Errorf("%v: %v", tc.kv, r)
			}
		}
	}
}

// TestInterfaceEngagedAlerts: interface/data.lua counts the interface's
// engaged alerts in ntopng's three severity groups.
func TestInterfaceEngagedAlerts(t *testing.T) {
	s := walkServer(t)
	for n, sev := range []alerts.Severity{alerts.SeverityInfo, alerts.SeverityWarning, alerts.SeverityError, alerts.SeverityCritical} {
		s.deps.Alerts.Trigger(alerts.Alert{IfID: 0, Type: 7, Severity: sev, Entity: alerts.EntityHost,
			EntityVal: "10.1.0." + itoa(n+1) + "@0", Subdir: "host", Script: "test"})
	}
	s.deps.Alerts.Trigger(alerts.Alert{IfID: 1, Type: 7, Severity: alerts.SeverityError, Entity: alerts.EntityHost,
		EntityVal: "10.1.0.9@0", Subdir: "host", Script: "test"}) // another interface
	_, env := call(t, s, http.MethodGet, "/lua/rest/v2/get/interface/data.lua", map[string]string{"ifid": "0"})
	rsp := env["rsp"].(map[string]any)
	for k, want := range map[string]float64{"engaged_alerts": 4, "engaged_alerts_notice": 1, "engaged_alerts_warning": 1, "engaged_alerts_error": 2} {
		if rsp[k] != want {
			t.Errorf("%s = %v, want %v", k, rsp[k], want)
		}
	}
}
