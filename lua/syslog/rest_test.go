package syslog

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	collector "flowgate/collectors/syslog"
	"flowgate/internal/metrics"
	"flowgate/internal/testwait"
	"flowgate/web"
)

// endpoint is the wiring the lead puts in cmd/flowgate.
func endpoint(f *fixture, col *collector.Collector) web.SyslogEndpoint {
	return web.SyslogEndpoint{Ifid: f.iface.ID(), Producers: col.Producers, SetProducer: col.SetProducer,
		ListenerStats: func() any { return col.Stats() }, ProducerStats: func() any { return f.rt.Stats() },
		Totals: f.rt.SyslogTotals}
}

func call(t *testing.T, srv *web.Server, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, url, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, url, nil)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	var env map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &env)
	return w.Code, env, w.Body.String()
}

// Suricata flows and alerts and the syslog stats over REST; the producer
// map edited over REST applies to the next message.
func TestREST(t *testing.T) {
	dir := copyScripts(t, "../../deploy/scripts/callbacks/syslog/suricata.lua", "../../deploy/scripts/callbacks/syslog/host_log.lua")
	// The listener and the runtime register their families in New, as
	// cmd/flowgate wires them (the listener's labelled with its ifid, 0).
	reg := prometheus.NewRegistry()
	f, col := startPipeline(t, dir, Configuration{Metrics: reg},
		collector.Configuration{Transport: collector.TCP, Metrics: metrics.ForInterface(reg, 0)})
	srv := web.New(web.Configuration{DisableLogin: true}, web.Dependencies{Engine: f.eng, Metrics: reg})
	srv.HandleAlerts(f.store)
	srv.HandleSyslog(endpoint(f, col))

	lines := eveLines(t)
	sendEVE(t, col.TCPAddr(), lines)
	testwait.For(t, "EVE handled", func() bool { return f.rt.Totals().Handled == uint64(len(lines)) })
	testwait.For(t, "flows", func() bool { return len(f.flows()) == 7 })

	_, env, body := call(t, srv, "GET", "/lua/rest/v2/get/flow/active.lua?ifid=0&perPage=50", "")
	if env["rc"] != 0.0 || !strings.Contains(body, "203.0.113.80") || !strings.Contains(body, "198.51.100.7") {
		t.Fatalf("flows over REST: %s", body)
	}
	_, env, body = call(t, srv, "GET", "/lua/rest/v2/get/flow/alert/list.lua?ifid=0", "")
	if env["rc"] != 0.0 || !strings.Contains(body, "ET SCAN Potential SSH Scan") || !strings.Contains(body, "Attempted Information Leak") {
		t.Fatalf("alerts over REST: %s", body)
	}
	_, env, body = call(t, srv, "GET", "/lua/rest/v2/get/syslog/stats.lua?ifid=0", "")
	rsp, _ := env["rsp"].(map[string]any)
	sy, _ := rsp["syslog"].(map[string]any)
	if sy == nil || sy["tot_events"] != 9.0 || sy["flows"] != 7.0 || sy["alerts"] != 2.0 || !strings.Contains(body, `"producer":"suricata"`) {
		t.Fatalf("stats: %s", body)
	}

	// Producer map over REST: route everything from 127.0.0.1 to host_log.
	code, env, body := call(t, srv, "POST", "/lua/rest/v2/add/syslog/producer.lua", `{"ifid":0,"host":"127.0.0.1","producer":"host_log"}`)
	if code != 200 || env["rc"] != 0.0 {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, _, _ := call(t, srv, "POST", "/lua/rest/v2/add/syslog/producer.lua", `{"ifid":0,"host":"127.0.0.1","producer":"x"}`); code == 200 {
		t.Fatal("duplicate add accepted")
	}
	if code, _, _ := call(t, srv, "POST", "/lua/rest/v2/add/syslog/producer.lua", `{"ifid":7,"host":"a","producer":"x"}`); code == 200 {
		t.Fatal("unknown ifid accepted")
	}
	_, _, body = call(t, srv, "GET", "/lua/rest/v2/get/syslog/producers.lua?ifid=0", "")
	if !strings.Contains(body, `{"host":"127.0.0.1","producer":"host_log"}`) {
		t.Fatalf("producers: %s", body)
	}
	sendEVE(t, col.TCPAddr(), lines[:1]) // now goes to host_log (priority 14: info, below threshold)
	testwait.For(t, "host_log event", func() bool {
		for _, s := range f.rt.Stats() {
			if s.Producer == "host_log" && s.Handled == 1 {
				return true
			}
		}
		return false
	})
	if code, _, body := call(t, srv, "POST", "/lua/rest/v2/delete/syslog/producer.lua", `{"ifid":0,"host":"127.0.0.1"}`); code != 200 {
		t.Fatalf("delete: %s", body)
	}
	if len(col.Producers()) != 0 {
		t.Fatalf("map after delete: %v", col.Producers())
	}
	_, _, body = call(t, srv, "GET", "/metrics", "")
	for _, want := range []string{`flowgate_syslog_received_total{ifid="0"} 10`, `flowgate_syslog_producer_flows_total{ifid="0",producer="suricata"} 7`} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}
