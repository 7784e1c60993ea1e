package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"flowgate/alerts"
	"flowgate/web/users"
)

// exclusionServer is a server with an alert store and its cache store.
func exclusionServer(t *testing.T) (*Server, *alerts.Store) {
	t.Helper()
	st := alerts.NewStore(alerts.Config{})
	return New(Configuration{DisableLogin: true}, Dependencies{Alerts: st}), st
}

// TestAlertExclusionREST: an exclusion added over REST stops the next host
// alert of that host at once (counted as excluded) while another host's is
// raised; deleting it lets the alert through again.
func TestAlertExclusionREST(t *testing.T) {
	s, st := exclusionServer(t)
	const key = 49
	raise := func(host string) bool {
		return st.Trigger(alerts.Alert{Entity: alerts.EntityHost, EntityVal: host + "@0", Type: key, Severity: alerts.SeverityError})
	}
	add := map[string]string{"type": "host", "subdir": "host", "alert_addr": "10.0.0.5", "host_alert_key": "49", "delete_alerts": "false"}
	if code, env := call(t, s, "POST", pro+"add/alert/exclusion.lua", add); code != 200 || env["rc"] != float64(0) {
		t.Fatalf("add: %d %v", code, env)
	}
	if raise("10.0.0.5") || st.Counters().Excluded != 1 {
		t.Errorf("the excluded host's alert was raised (excluded %d)", st.Counters().Excluded)
	}
	if !raise("10.0.0.6") || st.Counters().Excluded != 1 {
		t.Errorf("another host's alert was not raised (excluded %d)", st.Counters().Excluded)
	}
	// The document is ntopng's, in the cache store.
	if doc, _, _ := s.kvStore().Get(alerts.ExclusionsKey); doc != `{"1":{"49":{"excluded_hosts":{"10.0.0.5":{}}}}}` {
		t.Errorf("stored document %s", doc)
	}
	flow := map[string]string{"type": "host", "subdir": "flow", "alert_addr": "192.168.10.0/24", "flow_alert_key": "1"}
	if code, env := call(t, s, "POST", pro+"add/alert/exclusion.lua", flow); code != 200 || env["rsp"].(map[string]any)["num_exclusions"] != float64(2) {
		t.Fatalf("add flow: %d %v", code, env)
	}
	_, env := call(t, s, "GET", pro+"get/alert/exclusion.lua", map[string]string{"type": "host"})
	if got := jsonOf(env["rsp"]); !strings.Contains(got, `"alert_addr":"192.168.10.0/24","alert_key":1`) ||
		!strings.Contains(got, `"alert_addr":"10.0.0.5","alert_key":49`) || strings.Index(got, `"subdir":"flow"`) > strings.Index(got, `"subdir":"host"`) {
		t.Errorf("get: %s", got)
	}

	// The exclusions of one host (or network), per kind.
	for _, tc := range []struct{ path, host, want string }{
		{"get/host/alert/exclusions.lua", "10.0.0.5", `[{"alert_addr":"10.0.0.5","alert_key":49,`},
		{"get/host/alert/exclusions.lua", "10.0.0.5@0", `[{"alert_addr":"10.0.0.5","alert_key":49,`},
		{"get/flow/alert/exclusions.lua", "10.0.0.5", `[]`},
		{"get/flow/alert/exclusions.lua", "192.168.10.0/24", `[{"alert_addr":"192.168.10.0/24","alert_key":1,`},
	} {
		code, env := call(t, s, "GET", pro+tc.path, map[string]string{"host": tc.host})
		if got := jsonOf(env["rsp"]); code != 200 || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s?host=%s: %d %s", tc.path, tc.host, code, got)
		}
	}

	del := map[string]string{"type": "host", "subdir": "host", "alert_addr": "10.0.0.5", "host_alert_key": "49"}
	if code, env := call(t, s, "POST", pro+"delete/alert/exclusion.lua", del); code != 200 {
		t.Fatalf("delete: %d %v", code, env)
	}
	if code, env := call(t, s, "POST", pro+"delete/alert/exclusion.lua", del); code != 400 || env["rc"] != float64(-5) {
		t.Errorf("delete twice: %d %v", code, env)
	}
	if !raise("10.0.0.5") || st.Counters().Excluded != 1 {
		t.Errorf("after the delete the alert is still excluded (%d)", st.Counters().Excluded)
	}

	// delete/host|flow/alert/exclusions.lua and delete/all/alert/exclusions.lua.
	for _, tc := range []struct {
		path string
		kv   map[string]string
		left int
	}{
		{"add/alert/exclusion.lua", map[string]string{"type": "host", "subdir": "host", "alert_addr": "10.0.0.7@3", "host_alert_key": "50"}, 2},
		{"add/alert/exclusion.lua", map[string]string{"type": "host", "subdir": "host", "alert_addr": "10.0.0.7", "host_alert_key": "51"}, 3},
		{"delete/host/alert/exclusions.lua", map[string]string{"alert_addr": "10.0.0.7", "alert_key": "50"}, 2},
		{"delete/flow/alert/exclusions.lua", map[string]string{"alert_addr": "10.0.0.7"}, 2}, // no flow exclusion of that host
		{"delete/host/alert/exclusions.lua", map[string]string{"alert_addr": "10.0.0.7"}, 1},
		{"delete/all/alert/exclusions.lua", map[string]string{"type": "host"}, 1},
		{"delete/all/alert/exclusions.lua", map[string]string{"type": "flow", "host": "192.168.10.0/24"}, 0},
	} {
		code, env := call(t, s, "POST", pro+tc.path, tc.kv)
		if rsp, _ := env["rsp"].(map[string]any); code != 200 || rsp["num_exclusions"] != float64(tc.left) {
			t.Errorf("%s %v: %d %v, want %d left", tc.path, tc.kv, code, env, tc.left)
		}
	}
	if doc, _, _ := s.kvStore().Get(alerts.ExclusionsKey); doc != `{}` {
		t.Errorf("document after deleting all: %s", doc)
	}
}

func TestAlertExclusionErrors(t *testing.T) {
	s, st := exclusionServer(t)
	good := func(kv ...string) map[string]string {
		m := map[string]string{"type": "host", "subdir": "host", "alert_addr": "10.0.0.5", "host_alert_key": "49"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
		human              string
	}{
		{"add by GET", "GET", "add/alert/exclusion.lua", good(), 405, -5, "POST"},
		{"no type", "POST", "add/alert/exclusion.lua", good("type", ""), 400, -5, "missing type"},
		{"domain type", "POST", "add/alert/exclusion.lua", good("type", "domain", "alert_domain", "example.org"), 400, -5, "host only"},
		{"bad subdir", "POST", "add/alert/exclusion.lua", good("subdir", "mac"), 400, -5, "bad subdir"},
		{"bad address", "POST", "add/alert/exclusion.lua", good("alert_addr", "10.0.0.x"), 400, -4, "bad alert_addr"},
		{"bad vlan", "POST", "add/alert/exclusion.lua", good("alert_addr", "10.0.0.5@5000"), 400, -4, "bad alert_addr"},
		{"bad network", "POST", "add/alert/exclusion.lua", good("alert_addr", "10.0.0.0/40"), 400, -4, "bad alert_addr"},
		{"no address", "POST", "add/alert/exclusion.lua", good("alert_addr", ""), 400, -4, "bad alert_addr"},
		{"bad key", "POST", "add/alert/exclusion.lua", good("host_alert_key", "-1"), 400, -5, "bad host_alert_key"},
		{"flow key missing", "POST", "add/alert/exclusion.lua", good("subdir", "flow"), 400, -5, "bad flow_alert_key"},
		{"bad delete_alerts", "POST", "add/alert/exclusion.lua", good("delete_alerts", "maybe"), 400, -5, "delete_alerts"},
		{"delete missing", "POST", "delete/alert/exclusion.lua", good(), 400, -5, "no host alert 49 exclusion"},
		{"delete all bad type", "POST", "delete/all/alert/exclusions.lua", map[string]string{"type": "mac"}, 400, -5, "bad type"},
		{"delete all bad host", "POST", "delete/all/alert/exclusions.lua", map[string]string{"type": "host", "host": "nope"}, 400, -4, "bad host"},
		{"delete host no addr", "POST", "delete/host/alert/exclusions.lua", nil, 400, -4, "bad alert_addr"},
		{"delete flow bad key", "POST", "delete/flow/alert/exclusions.lua", map[string]string{"alert_addr": "10.0.0.5", "alert_key": "x"}, 400, -5, "bad alert_key"},
		{"delete host by GET", "GET", "delete/host/alert/exclusions.lua", map[string]string{"alert_addr": "10.0.0.5"}, 405, -5, "POST"},
		{"get no type", "GET", "get/alert/exclusion.lua", nil, 400, -5, "host only"},
		{"get host no host", "GET", "get/host/alert/exclusions.lua", nil, 400, -4, "bad host"},
		{"get flow bad host", "GET", "get/flow/alert/exclusions.lua", map[string]string{"host": "10.0.0.1@9999"}, 400, -4, "bad host"},
	} {
		code, env := call(t, s, tc.method, pro+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) || !strings.Contains(env["rc_str_hr"].(string), tc.human) {
			t.Errorf("%s: %d %v, want %d rc %d %q", tc.name, code, env, tc.code, tc.rc, tc.human)
		}
	}
	// Nothing was written, nothing is excluded.
	if doc, ok, _ := s.kvStore().Get(alerts.ExclusionsKey); ok {
		t.Errorf("a refused request wrote %s", doc)
	}
	if !st.Trigger(alerts.Alert{Entity: alerts.EntityHost, EntityVal: "10.0.0.5@0", Type: 49}) {
		t.Error("the alert is excluded after refused requests")
	}

	// A non-administrator may neither write nor read exclusions.
	carol := WithIdentity(t.Context(), Identity{User: users.User{Username: "carol", Group: users.Unprivileged}})
	for _, c := range []struct{ method, path string }{{"POST", "add/alert/exclusion.lua"}, {"GET", "get/alert/exclusion.lua?type=host"}, {"POST", "delete/all/alert/exclusions.lua"}} {
		form := url.Values{}
		for k, v := range good() {
			form.Set(k, v)
		}
		r := httptest.NewRequest(c.method, pro+c.path, strings.NewReader(form.Encode())).WithContext(carol)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"rc":-3`) {
			t.Errorf("%s by a non-administrator: %d %s", c.path, rec.Code, rec.Body)
		}
	}
	if _, ok, _ := s.kvStore().Get(alerts.ExclusionsKey); ok {
		t.Error("a non-administrator wrote exclusions")
	}

	// A malformed stored document: reads and writes answer internal_error
	// and leave it (and the applied exclusions) alone.
	if err := s.kvStore().Set(alerts.ExclusionsKey, "{not json", 0); err != nil {
		t.Fatal(err)
	}
	if code, env := call(t, s, "POST", pro+"add/alert/exclusion.lua", good()); code != 500 || env["rc"] != float64(-6) {
		t.Errorf("add over a malformed document: %d %v", code, env)
	}
	if code, env := call(t, s, "GET", pro+"get/alert/exclusion.lua", map[string]string{"type": "host"}); code != 500 || env["rc"] != float64(-6) {
		t.Errorf("get over a malformed document: %d %v", code, env)
	}
	if doc, _, _ := s.kvStore().Get(alerts.ExclusionsKey); doc != "{not json" {
		t.Errorf("the malformed document was replaced by %s", doc)
	}
}
