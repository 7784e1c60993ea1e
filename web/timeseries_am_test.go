package web

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/activemon"
	"flowgate/alerts"
	"flowgate/history"
	"flowgate/internal/testwait"
)

// TestTimeseriesActiveMonitoring: a real round (ICMP echo to 127.0.0.1, a
// TCP connect to a loopback listener, an HTTP GET of a loopback server, a
// TCP connect to a closed port) writes ntopng's am_host:* series, which
// ts.lua answers with their schema, tags and the measured values, and the
// am_host alerts it raises fill the measure columns of
// active_monitoring_alerts, engaged and stored.
func TestTimeseriesActiveMonitoring(t *testing.T) {
	dir := t.TempDir()
	hs := startHistory(t, dir)
	db := startAlertDB(t, dir)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	m, err := activemon.New(activemon.Configuration{DataDir: dir, Disabled: true, Timeout: 5 * time.Second},
		activemon.Deps{Alerts: st, Timeseries: history.NewScripts(hs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	s := New(Configuration{DisableLogin: true, DataDir: dir}, Dependencies{Alerts: st})
	s.HandleTimeseries(hs)
	s.HandleAlertStore(db, st)

	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // refused
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer web.Close()
	webHost := strings.TrimPrefix(web.URL, "http://") + "/health"

	hosts := []activemon.Host{
		{Host: "127.0.0.1", Measurement: "icmp", Threshold: 60_000, Granularity: "min"},
		{Host: open.Addr().String(), Measurement: "tcp", Threshold: 60_000, Granularity: "min"},
		{Host: webHost, Measurement: "http", Threshold: 0.001, Granularity: "min"},    // always exceeded
		{Host: closedAddr, Measurement: "tcp", Threshold: 60_000, Granularity: "min"}, // unreachable
	}
	for _, h := range hosts {
		if _, err := m.Add(h); err != nil {
			t.Fatalf("add %s: %v", h.Key(), err)
		}
	}
	when := time.Now().Truncate(time.Minute)
	if rep := m.Round(context.Background(), "min", when); rep.OK != 2 || rep.Exceeded != 1 || rep.Unreachable != 1 {
		t.Fatalf("round %+v: want 2 ok, 1 exceeded, 1 unreachable", rep)
	}

	ts := func(schema, query string) (int, map[string]any) {
		q := url.Values{"ts_schema": {schema}, "ts_query": {query},
			"epoch_begin": {strconv.FormatInt(when.Unix()-600, 10)}, "epoch_end": {strconv.FormatInt(when.Unix(), 10)}}
		code, env, _ := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/ts.lua?"+q.Encode(), "")
		return code, env
	}
	// The one point of each metric: the round's (a 60 s step stamped at
	// the round, the last of the 10 points), null before.
	points := func(schema, query string) map[string]float64 {
		t.Helper()
		code, env := ts(schema, query)
		if code != 200 {
			t.Fatalf("%s %s: %d %v", schema, query, code, env)
		}
		rsp := env["rsp"].(map[string]any)
		md := rsp["metadata"].(map[string]any)
		if md["schema"] != schema || md["query"] != query || md["epoch_step"] != float64(60) || md["num_point"] != float64(10) {
			t.Errorf("%s %s: metadata %v", schema, query, md)
		}
		out := map[string]float64{}
		for _, e := range rsp["series"].([]any) {
			sd := e.(map[string]any)
			data := sd["data"].([]any)
			for i, v := range data[:len(data)-1] {
				if v != nil {
					t.Errorf("%s %s %s: point %d is %v, want null", schema, query, sd["id"], i, v)
				}
			}
			v, ok := data[len(data)-1].(float64)
			if !ok {
				t.Fatalf("%s %s %s: no point at the round: %v", schema, query, sd["id"], data)
			}
			out[sd["id"].(string)] = v
		}
		return out
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, h := range hosts {
		st := m.Status(h.Key())
		got := points("am_host:val_min", "ifid:-1,host:"+h.Host+",metric:"+h.Measurement)
		if !near(got["value"], st.Value) || (st.Reachable != (got["value"] > 0)) {
			t.Errorf("%s: am_host:val_min value %v, measured %+v", h.Key(), got, st)
		}
	}
	httpStatus := m.Status(hosts[2].Key())
	phases := points("am_host:http_stats_min", "ifid:-1,host:"+webHost+",metric:http")
	if len(phases) != 2 || phases["other_ms"] <= 0 || !near(phases["lookup_ms"]+phases["other_ms"], httpStatus.Value) {
		t.Errorf("am_host:http_stats_min %v: want lookup_ms + other_ms = the measured %v ms", phases, httpStatus.Value)
	}

	// top: every monitored host of the system interface, by its tags.
	code, env := ts("top:am_host:val_min", "ifid:-1")
	if code != 200 {
		t.Fatalf("top: %d %v", code, env)
	}
	var tops []string
	for _, e := range env["rsp"].(map[string]any)["series"].([]any) {
		tags := e.(map[string]any)["tags"].(map[string]any)
		tops = append(tops, tags["metric"].(string)+"@"+tags["host"].(string))
	}
	sort.Strings(tops)
	var keys []string
	for _, h := range hosts {
		keys = append(keys, h.Key())
	}
	sort.Strings(keys)
	if strings.Join(tops, " ") != strings.Join(keys, " ") {
		t.Errorf("top am_host:val_min entries %v, want %v", tops, keys)
	}

	// Bad queries: a tag missing or extra, a granularity ntopng has not.
	for _, c := range [][2]string{
		{"am_host:val_min", "ifid:-1,host:127.0.0.1"},
		{"am_host:val_min", "ifid:-1,host:127.0.0.1,metric:icmp,protocol:x"},
		{"am_host:val_day", "ifid:-1,host:127.0.0.1,metric:icmp"},
	} {
		if code, env := ts(c[0], c[1]); code != 400 || env["rc"] != float64(-5) {
			t.Errorf("%s %s: %d %v, want 400 rc -5", c[0], c[1], code, env)
		}
	}

	// consts.lua?query=am lists the nine schemas, in ms.
	code, env, body := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/timeseries/type/consts.lua?ifid=-1&query=am", "")
	if code != 200 {
		t.Fatal(body)
	}
	steps := map[string]float64{}
	for _, e := range env["rsp"].([]any) {
		c := e.(map[string]any)
		steps[c["schema"].(string)] = c["step"].(float64)
		if c["measure_unit"] != "ms" || c["type"] != "gauge" || jsonOf(c["tags"]) != `["ifid","host","metric"]` {
			t.Errorf("consts %v", c)
		}
	}
	if len(steps) != 9 || steps["am_host:val_min"] != 60 || steps["am_host:https_stats_5mins"] != 300 || steps["am_host:http_stats_hour"] != 3600 {
		t.Errorf("am schemas %v", steps)
	}

	// The alerts' measure columns: filters on them select the engaged
	// alerts, and (once released by deleting the hosts) the stored ones.
	list := func(status string, kv map[string]string) []string {
		t.Helper()
		q := url.Values{"ifid": {"-1"}, "status": {status}}
		for k, v := range kv {
			q.Set(k, v)
		}
		code, env, body := tsCall(t, s, http.MethodGet, "/lua/rest/v2/get/am_host/alert/list.lua?"+q.Encode(), "")
		if code != 200 {
			t.Fatalf("list %v: %s", q, body)
		}
		var out []string
		for _, r := range env["rsp"].(map[string]any)["records"].([]any) {
			out = append(out, r.(map[string]any)["entity_val"].(string))
		}
		sort.Strings(out)
		return out
	}
	httpKey, closedKey := hosts[2].Key(), hosts[3].Key()
	filters := []struct {
		kv   map[string]string
		want []string
	}{
		{map[string]string{"measurement": "http;eq"}, []string{httpKey}},
		{map[string]string{"measure_value": "0;gt"}, []string{httpKey}}, // the unreachable host's value is 0
		{map[string]string{"resolved_name": closedAddr + ";eq", "resolved_ip": "127.0.0.1;eq"}, []string{closedKey}},
	}
	for _, f := range filters {
		if got := list("engaged", f.kv); strings.Join(got, " ") != strings.Join(f.want, " ") {
			t.Errorf("engaged %v: %v, want %v", f.kv, got, f.want)
		}
	}
	for _, h := range hosts {
		if err := m.Delete(h.Key()); err != nil {
			t.Fatal(err)
		}
	}
	testwait.For(t, "the two released alerts stored", func() bool { return len(list("historical", nil)) == 2 })
	for _, f := range filters {
		if got := list("historical", f.kv); strings.Join(got, " ") != strings.Join(f.want, " ") {
			t.Errorf("historical %v: %v, want %v", f.kv, got, f.want)
		}
	}
	rows, err := db.Select(context.Background(), `SELECT resolved_ip, resolved_name, measurement, measure_threshold, measure_value
		FROM active_monitoring_alerts WHERE measurement = ?`, "http")
	if err != nil || len(rows) != 1 {
		t.Fatalf("stored http alert: %v %v", rows, err)
	}
	r := rows[0]
	if r["resolved_ip"] != "127.0.0.1" || r["resolved_name"] != webHost || r["measure_threshold"] != int64(0) ||
		!near(r["measure_value"].(float64), httpStatus.Value) {
		t.Errorf("stored http alert columns %v, measured %+v", r, httpStatus)
	}
}
