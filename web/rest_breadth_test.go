package web

import (
	"encoding/json"
	"net/http"

	"flowgate/alerts"
	"strings"
	"testing"
)

// TestBreadthErrors walks the error paths of every endpoint this file's
// groups serve: missing/unknown ifid, host, vlan, network, bad types,
// oversize values, wrong method.
func TestBreadthErrors(t *testing.T) {
	s := walkServer(t)
	const v2 = "/lua/rest/v2/"
	long := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		method, path string
		kv           map[string]string
		code         int
		rc           string
	}{
		// interface group
		{"GET", v2 + "get/interface/l7/stats.lua", nil, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "9"}, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "x"}, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "ndpistats_mode": "bytes"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "breed": "maybe"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "max_values": "100000"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "max_num_results": "0"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/interface/dscp/stats.lua", map[string]string{"ifid": "-1"}, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/address.lua", nil, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/bcast_domains.lua", map[string]string{"ifid": "99"}, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/interface/nprobes/data.lua", nil, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "set/interface/alias.lua", map[string]string{"ifid": "0", "custom_name": "x"}, 405, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/interface/alias.lua", map[string]string{"ifid": "3", "custom_name": "x"}, 400, "INVALID_INTERFACE"},
		{"POST", v2 + "set/interface/alias.lua", map[string]string{"ifid": "0"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/interface/alias.lua", map[string]string{"ifid": "0", "custom_name": long}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/interface/alias.lua", map[string]string{"ifid": "0", "custom_name": "a\x01b"}, 400, "INVALID_ARGUMENTS"},
		// host group
		{"GET", v2 + "get/host/l7/stats.lua", map[string]string{"ifid": "0"}, 400, "INVALID_HOST"},
		{"GET", v2 + "get/host/l7/stats.lua", map[string]string{"ifid": "0", "host": "nohost"}, 400, "INVALID_HOST"},
		{"GET", v2 + "get/host/l7/stats.lua", map[string]string{"ifid": "0", "host": "10.9.9.9"}, 404, "INVALID_HOST"},
		{"GET", v2 + "get/host/l7/stats.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "vlan": "5000"}, 400, "INVALID_HOST"},
		{"GET", v2 + "get/host/l7/stats.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "vlan": "7"}, 404, "INVALID_HOST"},
		{"GET", v2 + "get/host/l4/data.lua", map[string]string{"host": "10.1.0.5"}, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/host/dscp/stats.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "direction": "up"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/host/custom_data.lua", map[string]string{"ifid": "0", "field_alias": "=x"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/host/custom_data.lua", map[string]string{"ifid": "0", "field_alias": strings.Repeat("a,", 100)}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/host/custom_data.lua", map[string]string{"ifid": "0", "host": "10.9.9.9"}, 404, "INVALID_HOST"},
		{"GET", v2 + "get/host/interfaces.lua", map[string]string{"host": "x"}, 400, "INVALID_HOST"},
		{"GET", v2 + "get/host/interfaces.lua", nil, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/host/alias.lua", map[string]string{"custom_name": "x"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/host/alias.lua", map[string]string{"host": "10.1.0.5", "custom_name": long}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/host/notes.lua", map[string]string{"host": "10.1.0.5"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/host/notes.lua", map[string]string{"host": "10.1.0.5", "custom_notes": long}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "set/host/notes.lua", map[string]string{"host": "10.1.0.5", "custom_notes": "n"}, 405, "INVALID_ARGUMENTS"},
		{"POST", v2 + "delete/host/inactive_host.lua", map[string]string{"ifid": "0"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "delete/host/inactive_host.lua", map[string]string{"ifid": "0", "serial_key": "-3"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "delete/host/inactive_host.lua", map[string]string{"ifid": "0", "serial_key": "12"}, 404, "NOT_FOUND"},
		{"POST", v2 + "trigger/host/alert.lua", map[string]string{"ifid": "0", "host": "10.1.0.5"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "trigger/host/alert.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "info": "i", "score": "x"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "trigger/host/alert.lua", map[string]string{"ifid": "5", "host": "10.1.0.5", "info": "i"}, 400, "INVALID_INTERFACE"},
		// flow group
		{"GET", v2 + "get/flow/l4/counters.lua", nil, 400, "INVALID_INTERFACE"},
		{"GET", v2 + "get/flow/l7/counters.lua", map[string]string{"ifid": "0", "application": "NoSuchApp"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/flow/traffic_stats.lua", map[string]string{"ifid": "0", "l4proto": "300"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/flow/active.lua", map[string]string{"ifid": "0", "vlan": "x"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/flow/active.lua", map[string]string{"ifid": "0", "flowhosts_type": "odd"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/flow/active.lua", map[string]string{"ifid": "0", "talking_with": "x"}, 400, "INVALID_HOST"},
		{"GET", v2 + "get/flow/active.lua", map[string]string{"ifid": "0", "host": "1.2.3"}, 400, "INVALID_HOST"},
		// constants
		{"GET", v2 + "get/alert/filter/consts.lua", map[string]string{"page": "nope"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "get/asn/asn_info.lua", map[string]string{"ip": "10.1.0.5"}, 400, "INVALID_INTERFACE"},
		{"POST", v2 + "get/asn/asn_info.lua", map[string]string{"ifid": "0", "asn": "x"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "get/asn/asn_name.lua", nil, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "get/country/country_name.lua", map[string]string{"country_id": "ZZ"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/dns/resolve.lua", map[string]string{"hostname": "bad host"}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/dns/resolve.lua", map[string]string{"hostname": long}, 400, "INVALID_ARGUMENTS"},
		{"GET", v2 + "get/dns/resolve.lua", map[string]string{"hostname": "not-cached.example"}, 400, "NAME_RESOLUTION_FAILED"},
		// networks
		{"GET", v2 + "get/network/networks.lua", nil, 400, "INVALID_INTERFACE"},
		{"POST", v2 + "set/network/alias.lua", map[string]string{"network_cidr": "10.1.0.0", "custom_name": "x"}, 400, "INVALID_ARGUMENTS"},
		{"POST", v2 + "set/network/alias.lua", map[string]string{"network_cidr": "10.2.0.0/16", "custom_name": "x"}, 404, "NOT_FOUND"},
	} {
		code, env := call(t, s, tc.method, tc.path, tc.kv)
		if code != tc.code || env["rc_str"] != tc.rc {
			t.Errorf("%s %s %v: %d %v, want %d %s", tc.method, tc.path, tc.kv, code, env, tc.code, tc.rc)
		}
	}
}

// TestBreadthWrites: aliases and notes land in the ntop.*Cache store
// under ntopng's keys and show in the answers that read them.
func TestBreadthWrites(t *testing.T) {
	s := walkServer(t)
	const v2 = "/lua/rest/v2/"
	var got []alerts.Notification
	s.deps.Alerts.Subscribe(func(n alerts.Notification) { got = append(got, n) }) // synchronous
	for _, tc := range []struct {
		path string
		kv   map[string]string
	}{
		{v2 + "set/interface/alias.lua", map[string]string{"ifid": "0", "custom_name": "uplink"}},
		{v2 + "set/host/alias.lua", map[string]string{"host": "10.1.0.5", "custom_name": "printer"}},
		{v2 + "set/host/notes.lua", map[string]string{"host": "10.1.0.5@0", "custom_notes": "second floor"}},
		{v2 + "set/network/alias.lua", map[string]string{"network_cidr": "10.1.0.0/16", "custom_name": "lan"}},
		{v2 + "trigger/host/alert.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "score": "60", "info": "from outside"}},
	} {
		if code, env := call(t, s, http.MethodPost, tc.path, tc.kv); code != 200 || env["rc"] != 0.0 {
			t.Fatalf("%s: %d %v", tc.path, code, env)
		}
	}
	kv := s.kvStore()
	for key, want := range map[[2]string]string{
		{"ntopng.prefs.ifid_0.name", ""}:  "uplink",
		{hostLabelsKey, "10.1.0.5@0"}:     "printer",
		{hostNotesKey, "10.1.0.5@0"}:      "second floor",
		{networkLabelsKey, "10.1.0.0/16"}: "lan",
	} {
		var got string
		if key[1] == "" {
			got, _, _ = kv.Get(key[0])
		} else {
			got, _, _ = kv.HGet(key[0], key[1])
		}
		if got != want {
			t.Errorf("%v = %q, want %q", key, got, want)
		}
	}
	_, env := call(t, s, "GET", v2+"get/network/networks.lua", map[string]string{"ifid": "0"})
	if nets, _ := env["rsp"].([]any); len(nets) != 1 || nets[0].(map[string]any)["label"] != "lan" {
		t.Errorf("networks.lua: %v", env["rsp"])
	}
	if len(got) != 1 || got[0].Alert.EntityVal != "10.1.0.5@0" || got[0].Alert.Severity != alerts.SeverityError ||
		got[0].Alert.Type != externalAlertType {
		t.Errorf("trigger/host/alert.lua: %+v", got)
	}
}

// TestBreadthValues checks figures against the populated engine: three
// flows of 10.1.0.5 (two TLS over TCP, one DNS over UDP).
func TestBreadthValues(t *testing.T) {
	s := walkServer(t)
	const v2 = "/lua/rest/v2/"
	get := func(path string, kv map[string]string) any {
		t.Helper()
		code, env := call(t, s, "GET", path, kv)
		if code != 200 {
			t.Fatalf("%s %v: %d %v", path, kv, code, env)
		}
		return env["rsp"]
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, tc := range []struct {
		path string
		kv   map[string]string
		want string
	}{
		{v2 + "get/flow/l4/counters.lua", map[string]string{"ifid": "0"}, `[{"count":2,"id":6},{"count":1,"id":17}]`},
		{v2 + "get/flow/l7/counters.lua", map[string]string{"ifid": "0", "l4proto": "UDP"}, `[{"count":1,"name":"DNS"}]`},
		{v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "ndpistats_mode": "count"}, `[{"label":"TLS","value":2},{"label":"DNS","value":1}]`},
		{v2 + "get/interface/l7/stats.lua", map[string]string{"ifid": "0", "ndpistats_mode": "count", "max_values": "1"}, `[{"label":"TLS","value":2},{"label":"Other","value":1}]`},
		{v2 + "get/flow/traffic_stats.lua", map[string]string{"ifid": "0", "talking_with": "192.0.2.9"}, `{"bytes":1500,"bytes_rcvd":500,"bytes_sent":1000,"num_flows":1,"packets":5}`},
		{v2 + "get/host/interfaces.lua", map[string]string{"host": "10.1.0.5"}, `{"10.1.0.5":[{"ifid":0}]}`},
		{v2 + "get/host/custom_data.lua", map[string]string{"ifid": "0", "host": "10.1.0.5", "field_alias": "ip,bytes.sent=tdb"}, `{"ip":"10.1.0.5","tdb":6000}`},
		{v2 + "get/interface/address.lua", map[string]string{"ifid": "0"}, `{"addresses":["10.1.0.1/32"]}`},
		{v2 + "get/country/country_name.lua", map[string]string{"country_id": "it"}, `"Italy"`},
		{v2 + "get/dns/resolve.lua", map[string]string{"hostname": "::ffff:10.0.0.1"}, `"::ffff:10.0.0.1"`},
	} {
		if got := js(get(tc.path, tc.kv)); got != tc.want {
			t.Errorf("%s %v = %s, want %s", tc.path, tc.kv, got, tc.want)
		}
	}
	flows := func(kv map[string]string) float64 {
		kv["ifid"] = "0"
		return get(v2+"get/flow/active.lua", kv).(map[string]any)["totalRows"].(float64)
	}
	for _, tc := range []struct {
		kv   map[string]string
		want float64
	}{
		{map[string]string{}, 3},
		{map[string]string{"host": "10.1.0.5"}, 3},
		{map[string]string{"host": "192.0.2.9"}, 1},
		{map[string]string{"application": "DNS"}, 1},
		{map[string]string{"application": "91"}, 2},
		{map[string]string{"l4proto": "6"}, 2},
		{map[string]string{"vlan": "3"}, 0},
		{map[string]string{"flowhosts_type": "local_only"}, 1},
		{map[string]string{"flowhosts_type": "local_origin_remote_target"}, 2},
		{map[string]string{"host": "10.1.0.5", "talking_with": "198.51.100.7"}, 1},
	} {
		if got := flows(tc.kv); got != tc.want {
			t.Errorf("flow/active.lua %v: %v rows, want %v", tc.kv, got, tc.want)
		}
	}
	probes := get(v2+"get/interface/nprobes/data.lua", map[string]string{"ifid": "0"}).([]any)
	if len(probes) != 1 || probes[0].(map[string]any)["probe_version"] != "10.2.1" || probes[0].(map[string]any)["captured_packets"] != 1234.0 {
		t.Errorf("nprobes/data.lua: %v", probes)
	}
}

// shape is the JSON type of v, with object keys and the first element of
// arrays described recursively.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = shape(e)
		}
		return m
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

// missingShape lists what of want (an example's shape) got lacks or types differently.
func missingShape(prefix string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{prefix + ": not an object"}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, prefix+"."+k+": missing")
				continue
			}
			out = append(out, missingShape(prefix+"."+k, wv, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{prefix + ": not an array"}
		}
		if len(w) == 0 || len(g) == 0 {
			return nil
		}
		return missingShape(prefix+"[0]", w[0], g[0])
	}
	if want != got {
		return []string{prefix + ": " + want.(string) + " in ntopng, " + got.(string) + " here"}
	}
	return nil
}
