package scripts

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type env struct {
	RC    int             `json:"rc"`
	RCStr string          `json:"rc_str"`
	HR    string          `json:"rc_str_hr"`
	Rsp   json.RawMessage `json:"rsp"`
}

func call(t *testing.T, h http.Handler, method, path, body string) env {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var e env
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, w.Body.String())
	}
	return e
}

func TestConfigRESTRoundTrip(t *testing.T) {
	dir := copyTree(t, "flow")
	data := t.TempDir()
	fx := newFixture(t, dir, func(c *Configuration) { c.DataDir = data })
	h := fx.rt.Handler()

	for _, tc := range []struct {
		method, path, body string
		rc                 int
	}{
		{"GET", PathGetConfig + "?script_subdir=flow&script_key=on_protocolDetected", "", 0},
		{"GET", PathGetConfig + "?script_subdir=flow&script_key=nope", "", -1},
		{"GET", PathGetConfig + "?script_subdir=bogus", "", -5},
		{"POST", PathEditConfig, `{"script_subdir":"flow"}`, -5},
		{"POST", PathEditConfig, `not json`, -5},
		{"POST", PathDisable, `{"script_subdir":"flow","script_key":"nope"}`, -1},
		{"POST", PathEditConfig, `{"script_subdir":"flow","script_key":"on_protocolDetected","script_conf":{"threshold":7}}`, 0},
		{"POST", PathDisable, `{"script_subdir":"flow","script_key":"on_protocolDetected"}`, 0},
	} {
		if e := call(t, h, tc.method, tc.path, tc.body); e.RC != tc.rc {
			t.Errorf("%s %s %s: rc %d (%s), want %d", tc.method, tc.path, tc.body, e.RC, e.RCStr, tc.rc)
		}
	}
	// Disabled: the next flow does not call it; the others still run.
	fx.flow("10.0.0.1", "10.0.0.2", 40000, 80, 6, 0)
	if s := fx.stats("on_protocolDetected"); s.Calls != 0 {
		t.Errorf("disabled script called %d times", s.Calls)
	}
	if s := fx.stats("all_hooks"); s.Calls != 1 {
		t.Errorf("other script called %d times, want 1", s.Calls)
	}
	fx.eng.Stop()
	fx.rt.Stop()

	// A new runtime on the same data dir sees the change.
	fx2 := newFixture(t, dir, func(c *Configuration) { c.DataDir = data })
	e := call(t, fx2.rt.Handler(), "GET", PathGetConfig+"?script_subdir=flow&script_key=on_protocolDetected", "")
	var v view
	if err := json.Unmarshal(e.Rsp, &v); err != nil {
		t.Fatal(err)
	}
	hc := v.Hooks["all"]
	if hc.Enabled || hc.ScriptConf["threshold"] != float64(7) {
		t.Errorf("after restart: %+v", v)
	}
	call(t, fx2.rt.Handler(), "POST", PathEnable, `{"script_subdir":"flow","script_key":"on_protocolDetected"}`)
	fx2.flow("10.0.0.1", "10.0.0.2", 40001, 80, 6, 0)
	if s := fx2.stats("on_protocolDetected"); s.Calls != 1 {
		t.Errorf("re-enabled script called %d times, want 1", s.Calls)
	}
	st := call(t, fx2.rt.Handler(), "GET", PathStats, "")
	if st.RC != 0 || !strings.Contains(string(st.Rsp), `"on_protocolDetected"`) {
		t.Errorf("stats: %+v", st)
	}
}

func TestReloadKeepsEngineState(t *testing.T) {
	dir := copyTree(t, "check_good")
	fx := newFixture(t, dir, nil)
	fx.flow("10.0.0.1", "10.0.0.2", 40000, 80, 6, 0)
	writeFile(t, dir+"/callbacks/interface/flow/added.lua", `local s = {hooks = {}}
function s.hooks.flowEnd(now, conf) end
return s`)
	if err := fx.rt.Reload(); err != nil {
		t.Fatal(err)
	}
	fx.flow("10.0.0.1", "10.0.0.3", 40000, 80, 6, 0)
	if n := fx.iface.Snapshot().ActiveFlows; n != 2 {
		t.Errorf("%d flows after reload, want 2", n)
	}
	fx.tick(200 * time.Second)
	if s := fx.stats("added"); s.Calls != 2 {
		t.Errorf("new script saw %d flow ends, want 2 (flows kept across reload)", s.Calls)
	}
	if s := fx.stats("on_protocolDetected"); s.Calls != 2 {
		t.Errorf("old script %d calls, want 2", s.Calls)
	}
}
