package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestTimeseriesMulti: ts_multi.lua answers, in request order, what ts.lua
// answers for each request; a bad request refuses the whole call.
func TestTimeseriesMulti(t *testing.T) {
	s, b, pushed := tsServer(t)
	e := b + 600
	const path = "/lua/pro/rest/v2/get/timeseries/ts_multi.lua"
	body := fmt.Sprintf(`{"ifid":0,"epoch_begin":%d,"epoch_end":%d,"limit":180,"ts_requests":[`+
		`{"ts_query":"ifid:0,host:10.0.0.6","ts_schema":"host:traffic","tskey":"10.0.0.6"},`+
		`{"ts_query":"ifid:0","ts_schema":"iface:traffic","tskey":"0"}]}`, b, e)
	code, env, raw := tsCall(t, s, http.MethodPost, path, body)
	if code != 200 || env["rc"].(float64) != 0 {
		t.Fatalf("ts_multi: %d %s", code, raw)
	}
	answers := env["rsp"].([]any)
	if len(answers) != 2 {
		t.Fatalf("answers: %s", raw)
	}
	total := func(a any) float64 {
		return a.(map[string]any)["series"].([]any)[0].(map[string]any)["statistics"].(map[string]any)["total"].(float64)
	}
	host, iface := answers[0].(map[string]any), answers[1].(map[string]any)
	if md := host["metadata"].(map[string]any); md["schema"] != "host:traffic" || md["tskey"] != "10.0.0.6" || total(host) != 100*600 {
		t.Errorf("first answer (host): %v total %v", md, total(host))
	}
	if md := iface["metadata"].(map[string]any); md["schema"] != "iface:traffic" || md["num_point"] != float64(150) || total(iface) != float64(pushed) {
		t.Errorf("second answer (iface): %v total %v", md, total(iface))
	}
	// The same answer as ts.lua's for the same query.
	_, one, _ := tsCall(t, s, http.MethodGet, fmt.Sprintf("/lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d&limit=180", b, e), "")
	if jsonOf(one["rsp"].(map[string]any)["series"]) != jsonOf(iface["series"]) {
		t.Errorf("ts_multi series differ from ts.lua's:\n%s\n%s", jsonOf(iface["series"]), jsonOf(one["rsp"].(map[string]any)["series"]))
	}

	// ts_compare adds the series of the window that far back (no traffic then).
	code, env, raw = tsCall(t, s, http.MethodPost, path, fmt.Sprintf(`{"ifid":"0","epoch_begin":%d,"epoch_end":%d,"ts_compare":"1h",`+
		`"ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic","tskey":"0"}]}`, b+3600, e+3600))
	if code != 200 {
		t.Fatalf("ts_compare: %d %s", code, raw)
	}
	cmp := env["rsp"].([]any)[0].(map[string]any)
	past, _ := cmp["additional_series"].(map[string]any)["1h"].([]any)
	if len(past) != 1 || past[0].(map[string]any)["statistics"].(map[string]any)["total"] != float64(pushed) {
		t.Errorf("ts_compare 1h: %s", jsonOf(cmp["additional_series"]))
	}

	// A form POST carries ts_requests as a JSON string.
	code, env = call(t, s, http.MethodPost, path, map[string]string{"ifid": "0", "epoch_begin": fmt.Sprint(b), "epoch_end": fmt.Sprint(e),
		"ts_requests": `[{"ts_query":"ifid:0","ts_schema":"iface:traffic","tskey":"0"}]`})
	if a, _ := env["rsp"].([]any); code != 200 || len(a) != 1 || total(a[0]) != float64(pushed) {
		t.Errorf("form POST: %d %v", code, env)
	}

	many := strings.Repeat(`{"ts_query":"ifid:0","ts_schema":"iface:traffic"},`, maxTSRequests+1)
	for _, tc := range []struct {
		name, method, body string
		code, rc           int
		human              string
	}{
		{"GET without requests", http.MethodGet, "", 400, -2, "missing ifid"},
		{"unknown ifid", http.MethodPost, `{"ifid":9,"ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"}]}`, 400, -2, "unknown ifid 9"},
		{"no ifid", http.MethodPost, `{"ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"}]}`, 400, -2, "missing ifid"},
		{"bad ifid", http.MethodPost, `{"ifid":"x","ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"}]}`, 400, -2, "bad ifid"},
		{"no requests", http.MethodPost, `{"ifid":0}`, 400, -5, "missing ts_requests"},
		{"empty requests", http.MethodPost, `{"ifid":0,"ts_requests":[]}`, 400, -5, "0 requests"},
		{"requests not an array", http.MethodPost, `{"ifid":0,"ts_requests":{"ts_schema":"iface:traffic"}}`, 400, -5, "bad ts_requests"},
		{"too many requests", http.MethodPost, `{"ifid":0,"ts_requests":[` + strings.TrimSuffix(many, ",") + `]}`, 400, -5, "33 requests"},
		{"bad compare", http.MethodPost, `{"ifid":0,"ts_compare":"2y","ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"}]}`, 400, -5, "ts_compare"},
		{"second request no schema", http.MethodPost, `{"ifid":0,"ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"},{"ts_query":"ifid:0"}]}`, 400, -5, "ts_requests[1]: missing ts_schema"},
		{"unknown schema", http.MethodPost, `{"ifid":0,"ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:nope"}]}`, 400, -5, "ts_requests[0]"},
		{"unknown interface", http.MethodPost, `{"ifid":0,"ts_requests":[{"ts_query":"ifid:7","ts_schema":"iface:traffic"}]}`, 400, -2, "unknown ifid"},
		{"bad epoch", http.MethodPost, `{"ifid":0,"epoch_begin":"x","ts_requests":[{"ts_query":"ifid:0","ts_schema":"iface:traffic"}]}`, 400, -5, "bad epoch_begin"},
		{"bad body", http.MethodPost, `{"ifid":0,`, 400, -5, "bad JSON body"},
	} {
		code, env, raw := tsCall(t, s, tc.method, path, tc.body)
		if code != tc.code || env["rc"] != float64(tc.rc) || !strings.Contains(fmt.Sprint(env["rc_str_hr"]), tc.human) {
			t.Errorf("%s: %d %s, want %d rc %d %q", tc.name, code, raw, tc.code, tc.rc, tc.human)
		}
	}
}
