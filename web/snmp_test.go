package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
)

func TestSNMPREST(t *testing.T) {
	a := snmptest.StartAgent(t)
	eng := engine.New(engine.DefaultConfiguration())
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	p := snmp.New(snmp.Configuration{DataDir: t.TempDir(), Interval: time.Hour, Timeout: time.Second}, snmp.Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	s.HandleSNMP(p, nil)
	call := func(method, url, body string) (int, map[string]any) {
		t.Helper()
		var r *http.Request
		if body != "" {
			r = httptest.NewRequest(method, url, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
		} else {
			r = httptest.NewRequest(method, url, nil)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		var env map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s: %v: %s", url, err, rec.Body)
		}
		return rec.Code, env
	}
	code, env := call(http.MethodPost, "/lua/rest/v2/add/snmp/device.lua",
		fmt.Sprintf(`{"address":"127.0.0.1","port":%d,"version":"2c","community":"public"}`, a.Port))
	if code != 200 || env["rc"].(float64) != 0 {
		t.Fatalf("add: %d %v", code, env)
	}
	key := fmt.Sprintf("127.0.0.1:%d", a.Port)
	code, env = call(http.MethodPost, "/lua/rest/v2/poll/snmp/device.lua", `{"host":"`+key+`"}`)
	if rsp := env["rsp"].(map[string]any); code != 200 || rsp["reachable"] != true {
		t.Fatalf("poll: %d %v", code, env)
	}
	_, env = call(http.MethodGet, "/lua/rest/v2/get/snmp/device/list.lua", "")
	list := env["rsp"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["config"].(map[string]any)["community"] != "******" {
		t.Fatalf("list: %v", env)
	}
	_, env = call(http.MethodGet, "/lua/rest/v2/get/snmp/device/interfaces.lua?host="+key, "")
	ifs := env["rsp"].([]any)
	if len(ifs) == 0 || ifs[0].(map[string]any)["status"] != "up" {
		t.Fatalf("interfaces: %v", env)
	}
	idx := ifs[0].(map[string]any)["index"].(float64)
	_, env = call(http.MethodGet, fmt.Sprintf("/lua/rest/v2/get/snmp/device/interface/timeseries.lua?host=%s&if_index=%d", key, int(idx)), "")
	if pts := env["rsp"].([]any); len(pts) == 0 {
		t.Fatalf("series: %v", env)
	}
	if code, _ := call(http.MethodPost, "/lua/rest/v2/add/snmp/device.lua", `{"address":"127.0.0.1","version":"7"}`); code != 400 {
		t.Fatalf("bad add: %d", code)
	}
	if code, _ := call(http.MethodGet, "/lua/rest/v2/get/snmp/device/interfaces.lua?host=nope", ""); code != 404 {
		t.Fatalf("unknown: %d", code)
	}
	_, env = call(http.MethodGet, "/lua/rest/v2/get/snmp/stats.lua", "")
	if env["rsp"].(map[string]any)["poller"].(map[string]any)["polls"].(float64) < 1 {
		t.Fatalf("stats: %v", env)
	}
	if code, _ := call(http.MethodPost, "/lua/rest/v2/delete/snmp/device.lua", `{"host":"`+key+`"}`); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := call(http.MethodPost, "/lua/rest/v2/delete/snmp/device.lua", `{"host":"`+key+`"}`); code != 404 {
		t.Fatalf("delete twice: %d", code)
	}
}
