package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/history"
	"flowgate/history/sampler"
)

type tsClock struct{ t time.Time }

func (c *tsClock) now() time.Time { return c.t }

// tsServer runs 10 minutes of traffic through an engine sampled into a
// store on a fake clock and returns the server and the bytes pushed after
// the baseline round.
func tsServer(t *testing.T) (*Server, int64, uint64) {
	t.Helper()
	start := time.Unix(1_700_000_100, 0)
	c := &tsClock{start}
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	ecfg.Now = c.now
	eng := engine.New(ecfg)
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	hcfg := history.DefaultConfiguration()
	hcfg.Path, hcfg.Now, hcfg.MaintainEvery = filepath.Join(t.TempDir(), history.FileName), c.now, time.Hour
	st := history.New(hcfg)
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Stop)
	scfg := sampler.DefaultConfiguration()
	scfg.Now = c.now
	smp := sampler.New(scfg, eng, st)
	push := func(cli string, port uint16, in, out uint64) {
		b := i.NewBatch()
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr(cli), netip.MustParseAddr("192.0.2.9"), port, 443, 6
		f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = in, 1, out, 1
		f.FirstSwitched, f.LastSwitched = uint32(c.t.Unix()), uint32(c.t.Unix())
		f.L7Set, f.L7App = true, 91
		i.Process(b)
	}
	push("10.0.0.5", 40000, 1, 1)
	push("10.0.0.6", 40001, 1, 1)
	smp.Round(c.t)
	var pushed uint64
	for s := 1; s <= 600; s++ {
		c.t = start.Add(time.Duration(s) * time.Second)
		push("10.0.0.5", 40000, uint64(2000+s), 300)
		push("10.0.0.6", 40001, 100, 10)
		pushed += uint64(2000+s) + 300 + 110
		smp.Round(c.t)
	}
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng, Now: c.now})
	s.HandleTimeseries(st)
	return s, start.Unix(), pushed
}

func tsCall(t *testing.T, s *Server, method, u, body string) (int, map[string]any, string) {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, u, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, u, nil)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	var env map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("%s: %v: %s", u, err, rec.Body)
	}
	return rec.Code, env, rec.Body.String()
}

func TestTimeseriesREST(t *testing.T) {
	s, b, pushed := tsServer(t)
	e := b + 600
	u := fmt.Sprintf("/lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d&limit=180", b, e)
	code, env, body := tsCall(t, s, http.MethodGet, u, "")
	if code != 200 || env["rc"].(float64) != 0 {
		t.Fatalf("ts.lua: %d %s", code, body)
	}
	rsp := env["rsp"].(map[string]any)
	md := rsp["metadata"].(map[string]any)
	if md["epoch_begin"].(float64) != float64(b) || md["epoch_end"].(float64) != float64(e) || md["epoch_step"].(float64) != 4 ||
		md["num_point"].(float64) != 150 || md["schema"] != "iface:traffic" || md["query"] != "ifid:0" {
		t.Errorf("metadata %v", md)
	}
	series := rsp["series"].([]any)
	if len(series) != 1 {
		t.Fatalf("series %v", series)
	}
	s0 := series[0].(map[string]any)
	st := s0["statistics"].(map[string]any)
	if s0["id"] != "bytes" || len(s0["data"].([]any)) != 150 {
		t.Errorf("series %v", s0["id"])
	}
	// The total is the bytes pushed over the window.
	if st["total"].(float64) != float64(pushed) {
		t.Errorf("total %v, want %d", st["total"], pushed)
	}
	for _, k := range []string{"average", "95th_percentile", "min", "max"} {
		if _, ok := st[k].(float64); !ok {
			t.Errorf("statistics lack %s: %v", k, st)
		}
	}

	// The same as a JSON POST, with numbers, for a host and the top hosts.
	code, env, body = tsCall(t, s, http.MethodPost, "/lua/rest/v2/get/timeseries/ts.lua",
		fmt.Sprintf(`{"ts_schema":"host:traffic","ts_query":"ifid:0,host:10.0.0.6","epoch_begin":%d,"epoch_end":%d,"limit":2}`, b, e))
	if code != 200 {
		t.Fatalf("POST: %s", body)
	}
	hs := env["rsp"].(map[string]any)["series"].([]any)
	if sent := hs[0].(map[string]any)["statistics"].(map[string]any)["total"].(float64); sent != 100*600 {
		t.Errorf("host bytes_sent total %v, want 60000", sent)
	}
	_, env, _ = tsCall(t, s, http.MethodGet, fmt.Sprintf("/lua/rest/v2/get/timeseries/ts.lua?ts_schema=top:host:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d", b, e), "")
	top := env["rsp"].(map[string]any)["series"].([]any)
	if len(top) != 2 || top[0].(map[string]any)["id"] != "10.0.0.5" {
		t.Errorf("top: %v", top)
	}

	// Bad input: rc -5, 400, and the good query answers the same after.
	for _, q := range []string{
		"ts_schema=iface:nope&ts_query=ifid:0",
		"ts_query=ifid:0",
		"ts_schema=iface:traffic&ts_query=ifid",
		"ts_schema=iface:traffic&ts_query=ifid:0,ifid:1",
		"ts_schema=host:traffic&ts_query=ifid:0,host:1.2.3.4'%20OR%201=1",
		fmt.Sprintf("ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d", e, b),
		"ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=0&epoch_end=99999999999",
		"ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=abc",
		"ts_schema=iface:traffic&ts_query=ifid:0&limit=-3",
		"ts_schema=iface:traffic&ts_query=ifid:0&limit=100000000",
		"ts_schema=iface:traffic&ts_query=ifid:0&limit=1.5",
		"ts_schema=iface:traffic&ts_query=ifid:0&ts_aggregation=median",
		"ts_schema=top:host:traffic&ts_query=ifid:0&topk=100000",
	} {
		code, env, body := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/ts.lua?"+q, "")
		if code != 400 || env["rc"].(float64) != -5 || env["rc_str"] != "INVALID_ARGUMENTS" {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	code, env, _ = tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:7&epoch_begin="+fmt.Sprint(b), "")
	if code != 400 || env["rc"].(float64) != -2 {
		t.Errorf("unknown ifid: %d %v", code, env)
	}
	_, env, _ = tsCall(t, s, http.MethodGet, u, "")
	if got := env["rsp"].(map[string]any)["series"].([]any)[0].(map[string]any)["statistics"].(map[string]any)["total"]; got != float64(pushed) {
		t.Errorf("after bad input the total is %v, want %d", got, pushed)
	}
}

func TestTimeseriesConsts(t *testing.T) {
	s, _, _ := tsServer(t)
	code, env, body := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/type/consts.lua?ifid=0&query=host", "")
	if code != 200 {
		t.Fatal(body)
	}
	names := map[string]bool{}
	for _, e := range env["rsp"].([]any) {
		names[e.(map[string]any)["schema"].(string)] = true
	}
	if !names["host:traffic"] || !names["host:ndpi"] || names["iface:traffic"] {
		t.Errorf("host schemas %v", names)
	}
	for _, q := range []string{"", "nope", url.QueryEscape("iface' --")} {
		code, env, _ := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/type/consts.lua?ifid=0&query="+q, "")
		if code != 400 || env["rc"].(float64) != -5 {
			t.Errorf("query %q: %d %v", q, code, env)
		}
	}
}
