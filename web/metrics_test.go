package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
)

// /metrics serves the registry it was given, with the engine's families
// registered by engine.New, and an empty body without one.
func TestMetricsHandler(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reg     *prometheus.Registry
		want    []string
		wantNot []string
	}{
		{"no registry", nil, nil, []string{"flowgate_interface_info"}},
		{"registry", prometheus.NewRegistry(), []string{
			"# HELP flowgate_interface_info ",
			`flowgate_interface_info{ifid="0",ifname="zmq0",kind="zmq"} 1`,
			"# TYPE flowgate_http_logins_total counter",
		}, nil},
	} {
		ecfg := engine.DefaultConfiguration()
		if tc.reg != nil {
			ecfg.Metrics = tc.reg
		}
		eng := engine.New(ecfg)
		eng.AddInterface("zmq0", "zmq")
		srv := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng, Metrics: tc.reg})
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		body := w.Body.String()
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("%s: HTTP %d %q", tc.name, w.Code, w.Header().Get("Content-Type"))
		}
		for _, s := range tc.want {
			if !strings.Contains(body, s) {
				t.Errorf("%s: no %q in\n%s", tc.name, s, body)
			}
		}
		for _, s := range tc.wantNot {
			if strings.Contains(body, s) {
				t.Errorf("%s: %q in\n%s", tc.name, s, body)
			}
		}
	}
}
