package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"flowgate/activemon"
	"flowgate/alerts"
	"flowgate/internal/testwait"
)

// TestActiveMonitoringREST adds, reads, edits and deletes hosts, with the
// rc codes of bad input, and round-trips the configuration backup.
func TestActiveMonitoringREST(t *testing.T) {
	s := New(Configuration{DisableLogin: true, DataDir: t.TempDir()}, Dependencies{})
	m, err := activemon.New(activemon.Configuration{DataDir: t.TempDir(), Disabled: true}, activemon.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	s.HandleActiveMonitoring(m)

	steps := []struct {
		method, path string
		kv           map[string]string
		code, rc     int
		want         string // in the answer
	}{
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.1", "measurement": "icmp", "threshold": "80"}, 200, 0, `"key":"icmp@192.0.2.1"`},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "2001:db8::1", "measurement": "icmp6", "rtt_max": "90", "granularity": "5mins"}, 200, 0, `"threshold":90`},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "example.org/health", "measurement": "https"}, 200, 0, `"threshold":500`},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.1", "measurement": "icmp"}, 400, -5, "already exists"},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.1", "measurement": "icmp6"}, 400, -5, "not an IPv6 address"},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.2", "measurement": "ftp"}, 400, -5, "unknown measurement"},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.2", "measurement": "icmp", "threshold": "-3"}, 400, -5, "threshold"},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.2", "measurement": "icmp", "granularity": "day"}, 400, -5, "granularity"},
		{"POST", "add/active_monitoring/host.lua", map[string]string{"measurement": "icmp"}, 400, -5, "required"},
		{"GET", "add/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.2", "measurement": "icmp"}, 405, -5, "POST"},
		{"GET", "get/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.1", "measurement": "icmp"}, 200, 0, `"granularity":"min"`},
		{"GET", "get/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.9", "measurement": "icmp"}, 404, -1, "no active monitoring host"},
		{"GET", "get/active_monitoring/list.lua", map[string]string{"measurement": "icmp6"}, 200, 0, `"am_host":"2001:db8::1"`},
		{"GET", "get/active_monitoring/list.lua", map[string]string{"measurement": "x"}, 400, -5, "unknown measurement"},
		{"GET", "get/active_monitoring/list.lua", map[string]string{"only_alerted_hosts": "2"}, 400, -5, "0 or 1"},
		{"GET", "get/active_monitoring/measurements.lua", nil, 200, 0, `"key":"tcp"`},
		{"POST", "edit/active_monitoring/host.lua", map[string]string{"old_am_host": "192.0.2.1", "old_measurement": "icmp", "am_host": "192.0.2.5", "measurement": "icmp", "threshold": "40"}, 200, 0, `"key":"icmp@192.0.2.5"`},
		{"POST", "edit/active_monitoring/host.lua", map[string]string{"old_am_host": "192.0.2.1", "old_measurement": "icmp", "am_host": "192.0.2.6", "measurement": "icmp"}, 404, -1, "not found"},
		{"POST", "delete/active_monitoring/host.lua", map[string]string{"am_host": "192.0.2.9", "measurement": "icmp"}, 404, -1, "not found"},
		{"POST", "delete/active_monitoring/host.lua", map[string]string{"am_host": "2001:db8::1", "measurement": "icmp6"}, 200, 0, ""},
		{"GET", "get/active_monitoring/stats.lua", nil, 200, 0, `"hosts":2`},
	}
	for _, st := range steps {
		code, env := call(t, s, st.method, v2+st.path, st.kv)
		b, _ := json.Marshal(env)
		if code != st.code || int(env["rc"].(float64)) != st.rc || !strings.Contains(string(b), st.want) {
			t.Errorf("%s %s %v: %d %s; want %d rc %d with %q", st.method, st.path, st.kv, code, b, st.code, st.rc, st.want)
		}
	}
	// The monitor's refusals (exists, v6, ftp, day, the two not-found
	// edits/deletes) are counted; the REST's own checks come first.
	if got := m.Stats().ConfigRejected; got != 6 {
		t.Errorf("config_rejected %d, want 6", got)
	}

	// Backup: export, reset, import gives the hosts back.
	doc := exportDoc(t, s, "active_monitoring")
	var exp struct {
		Modules map[string]activemon.Config `json:"modules"`
	}
	if err := json.Unmarshal([]byte(doc), &exp); err != nil || exp.Modules["active_monitoring"]["icmp@192.0.2.5"] != (activemon.HostConfig{Threshold: 40, Granularity: "min"}) {
		t.Errorf("export: %s (%v)", doc, err)
	}
	if code, env := call(t, s, "POST", v2+"reset/active_monitoring/config.lua", nil); code != 200 {
		t.Fatalf("reset: %d %v", code, env)
	}
	if len(m.Hosts()) != 0 {
		t.Fatalf("hosts after reset: %v", m.Hosts())
	}
	if code, env := postConfigJSON(t, s, v2+"import/active_monitoring/config.lua", doc); code != 200 {
		t.Fatalf("import: %d %v", code, env)
	}
	if len(m.Hosts()) != 2 {
		t.Errorf("hosts after import: %v", m.Hosts())
	}
	// A bad import changes nothing.
	code, env := postConfigJSON(t, s, v2+"import/active_monitoring/config.lua", `{"icmp@192.0.2.7":{"threshold":10},"bogus":{"threshold":1}}`)
	if code == http.StatusOK || len(m.Hosts()) != 2 {
		t.Errorf("bad import: %d %v, hosts %v", code, env, m.Hosts())
	}
}

// TestActiveMonitoringAlertList: a host that refuses the connection is
// engaged in get/am_host/alert/list.lua (ifid -1, the system interface),
// and once it answers the alert is in the history of the same list.
func TestActiveMonitoringAlertList(t *testing.T) {
	dir := t.TempDir()
	db := startAlertDB(t, dir)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	s := New(Configuration{DisableLogin: true, DataDir: dir}, Dependencies{Alerts: st})
	s.HandleAlertStore(db, st)
	m, err := activemon.New(activemon.Configuration{DataDir: dir, Disabled: true, Timeout: 5 * time.Second}, activemon.Deps{Alerts: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	s.HandleActiveMonitoring(m)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused until it listens again
	if code, env := call(t, s, "POST", v2+"add/active_monitoring/host.lua", map[string]string{"am_host": addr, "measurement": "tcp"}); code != 200 {
		t.Fatalf("add: %d %v", code, env)
	}
	list := func(status string) []any {
		code, env := call(t, s, "GET", v2+"get/am_host/alert/list.lua", map[string]string{"ifid": "-1", "status": status})
		if code != 200 {
			t.Fatalf("list %s: %d %v", status, code, env)
		}
		rsp, _ := env["rsp"].(map[string]any)
		rows, _ := rsp["records"].([]any)
		return rows
	}
	when := time.Now().Truncate(time.Minute)
	m.Round(context.Background(), "min", when)
	rows := list("engaged")
	if len(rows) != 1 || !strings.Contains(jsonOf(rows[0]), "tcp@"+addr) {
		t.Fatalf("engaged am_host alerts: %s", jsonOf(rows))
	}
	if code, env := call(t, s, "GET", v2+"get/active_monitoring/list.lua", map[string]string{"only_alerted_hosts": "1"}); code != 200 || !strings.Contains(jsonOf(env), `"is_alerted":true`) {
		t.Errorf("list of alerted hosts: %d %s", code, jsonOf(env))
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	defer ln.Close()
	m.Round(context.Background(), "min", when.Add(time.Minute))
	if rows := list("engaged"); len(rows) != 0 {
		t.Errorf("still engaged after recovery: %s", jsonOf(rows))
	}
	testwait.For(t, "the released alert in the history list", func() bool {
		rows := list("historical")
		return len(rows) == 1 && strings.Contains(jsonOf(rows[0]), "tcp@"+addr)
	})
	// Pro's get/am_host/alert/top.lua counts the same history by type and severity.
	code, env := call(t, s, "GET", pro+"get/am_host/alert/top.lua", map[string]string{"ifid": "-1"})
	top, _ := env["rsp"].(map[string]any)
	types, _ := top["alert_id"].([]any)
	if code != 200 || len(types) != 1 || types[0].(map[string]any)["count"] != float64(1) || jsonKind(top["severity"]) != "array" {
		t.Errorf("am_host alert top: %d %s", code, jsonOf(env))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
