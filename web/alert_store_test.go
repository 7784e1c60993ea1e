package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"flowgate/alerts"
	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
)

// storeServer serves the 5.x alert REST over a history file holding two
// host alerts, two flow alerts and a system alert; one host alert is engaged.
func storeServer(t *testing.T) *Server {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq") // ifid 0
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	db := sqlitestore.New(sqlitestore.Configuration{DataDir: t.TempDir()})
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	host := func(ip string, sev alerts.Severity, ts int64) alerts.Alert {
		return alerts.Alert{IfID: 0, Type: 49, Subtype: "bytes", Severity: sev, Entity: alerts.EntityHost,
			EntityVal: ip + "@0", Granularity: 60, Tstamp: ts, Script: "bytes"}
	}
	for _, a := range []alerts.Alert{host("10.0.0.1", alerts.SeverityError, 1000), host("10.0.0.2", alerts.SeverityWarning, 1100)} {
		st.Trigger(a)
		a.TstampEnd = a.Tstamp + 120
		st.Release(a)
	}
	st.Trigger(host("10.0.0.3", alerts.SeverityCritical, 1200)) // engaged
	flow := func(cli, srv string, l7 int, ts int64) alerts.Alert {
		return alerts.Alert{IfID: 0, Type: 62, Severity: alerts.SeverityError, Entity: alerts.EntityFlow, EntityVal: "flow",
			Tstamp: ts, Flow: &alerts.FlowInfo{Score: 50, L7Proto: l7, Cli: alerts.FlowPeer{Addr: cli, Port: 5000},
				Srv: alerts.FlowPeer{Addr: srv, Port: 443}}}
	}
	st.StoreEvent(flow("10.0.0.1", "8.8.8.8", 91, 1300))
	st.StoreEvent(flow("10.0.0.5", "1.1.1.1", 7, 1400))
	st.StoreEvent(alerts.Alert{IfID: -1, Type: 18, Severity: alerts.SeverityInfo, Entity: alerts.EntityInterface,
		EntityVal: "-1", Tstamp: 1500})
	s.HandleAlertStore(db, st)
	return s
}

type storeAnswer struct {
	RC           int    `json:"rc"`
	RCStr        string `json:"rc_str"`
	RecordsTotal int    `json:"recordsTotal"`
	Rsp          struct {
		Records []struct {
			RowID     string `json:"row_id"`
			Status    string `json:"status"`
			EntityVal string `json:"entity_val"`
			UserLabel string `json:"user_label"`
			Flow      *struct {
				CliIP string `json:"cli_ip"`
				SrvIP string `json:"srv_ip"`
			} `json:"flow"`
		} `json:"records"`
	} `json:"rsp"`
}

func TestAlertStoreLists(t *testing.T) {
	s := storeServer(t)
	for _, tc := range []struct {
		url   string
		total int
		vals  string // entity_val or cli_ip of each record, in order
	}{
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0", 2, "10.0.0.2@0,10.0.0.1@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&status=engaged", 1, "10.0.0.3@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&severity=5;gte", 1, "10.0.0.1@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&ip=10.0.0.2;neq&sort=tstamp&order=asc", 1, "10.0.0.1@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&epoch_begin=1050&epoch_end=2000", 1, "10.0.0.2@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&start=1&length=1", 2, "10.0.0.1@0"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&currentPage=2&perPage=1&sortColumn=tstamp&sortOrder=asc", 2, "10.0.0.2@0"},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&ip=10.0.0.1;eq", 1, "10.0.0.1"},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&l7_proto=7;eq,91;eq&sort=l7_proto&order=asc", 2, "10.0.0.5,10.0.0.1"},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&srv_ip=8.8;in", 1, "10.0.0.1"},
		{"/lua/rest/v2/get/system/alert/list.lua", 1, "-1"},
		{"/lua/rest/v2/get/interface/alert/list.lua?ifid=0", 0, ""},
	} {
		code, body := get(t, s, tc.url)
		var ans storeAnswer
		if err := json.Unmarshal(body, &ans); err != nil || code != http.StatusOK || ans.RC != 0 {
			t.Errorf("%s: %d %s", tc.url, code, body)
			continue
		}
		var vals []string
		for _, r := range ans.Rsp.Records {
			if r.Flow != nil {
				vals = append(vals, r.Flow.CliIP)
			} else {
				vals = append(vals, r.EntityVal)
			}
		}
		if got := strings.Join(vals, ","); ans.RecordsTotal != tc.total || got != tc.vals {
			t.Errorf("%s: total %d %q, want %d %q", tc.url, ans.RecordsTotal, got, tc.total, tc.vals)
		}
	}
}

func TestAlertStoreBadArgs(t *testing.T) {
	s := storeServer(t)
	for _, url := range []string{
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&severity=5;like",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&severity=x;eq",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&cli_ip=10.0.0.1",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&sort=json",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&sort=tstamp;drop",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&order=sideways",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&status=gone",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&length=-1",
		"/lua/rest/v2/get/host/alert/list.lua?ifid=0&epoch_begin=10&epoch_end=5",
		"/lua/rest/v2/get/host/alert/ts.lua?ifid=0",
		"/lua/rest/v2/get/host/alert/ts.lua?ifid=0&epoch_begin=1&epoch_end=99999999999&step=1",
		"/lua/rest/v2/acknowledge/host/alerts.lua?ifid=0&status=engaged",
	} {
		code, body := get(t, s, url)
		if code != http.StatusBadRequest || !strings.Contains(string(body), "INVALID_ARGUMENTS") {
			t.Errorf("%s: %d %s", url, code, body)
		}
	}
	// Nothing was disturbed.
	_, body := get(t, s, "/lua/rest/v2/get/host/alert/list.lua?ifid=0")
	var ans storeAnswer
	json.Unmarshal(body, &ans)
	if ans.RecordsTotal != 2 {
		t.Errorf("after bad requests: %s", body)
	}
}

func TestAlertStoreCountersSeriesOps(t *testing.T) {
	s := storeServer(t)
	code, body := get(t, s, "/lua/rest/v2/get/alert/type/counters.lua?ifid=0")
	if code != http.StatusOK || !strings.Contains(string(body), `{"alert_id":49,"count":2,"name":"alert_threshold_cross"`) ||
		!strings.Contains(string(body), `{"alert_id":62,"count":2,`) {
		t.Errorf("type counters: %s", body)
	}
	code, body = get(t, s, "/lua/rest/v2/get/alert/severity/counters.lua?ifid=0&status=historical-flows")
	if code != http.StatusOK || !strings.Contains(string(body), `[{"count":2,"name":"error","severity":5,"title":"Error"}]`) {
		t.Errorf("severity counters: %s", body)
	}
	code, body = get(t, s, "/lua/rest/v2/get/host/alert/ts.lua?ifid=0&epoch_begin=1000&epoch_end=1199&step=100")
	if code != http.StatusOK || !strings.Contains(string(body), `"data":[[1000000,1],[1100000,0]]`) {
		t.Errorf("ts: %s", body)
	}
	code, body = get(t, s, "/lua/rest/v2/acknowledge/host/alerts.lua?ifid=0&ip=10.0.0.1;eq&label=checked")
	if code != http.StatusOK || !strings.Contains(string(body), `"count":1`) {
		t.Fatalf("ack: %s", body)
	}
	_, body = get(t, s, "/lua/rest/v2/get/host/alert/list.lua?ifid=0&status=acknowledged")
	var ans storeAnswer
	json.Unmarshal(body, &ans)
	if ans.RecordsTotal != 1 || ans.Rsp.Records[0].Status != "acknowledged" || ans.Rsp.Records[0].UserLabel != "checked" {
		t.Errorf("acknowledged list: %s", body)
	}
	code, body = get(t, s, "/lua/rest/v2/delete/flow/alerts.lua?ifid=0&l7_proto=7;eq")
	if code != http.StatusOK || !strings.Contains(string(body), `"count":1`) {
		t.Fatalf("delete: %s", body)
	}
	code, body = get(t, s, "/lua/rest/v2/get/flow/alert/list.lua?ifid=0&format=txt")
	if code != http.StatusOK || strings.Count(string(body), "\n") != 2 || !strings.HasPrefix(string(body), "row_id,tstamp,") {
		t.Errorf("csv: %s", body)
	}
	// The 4.2 list reads the same history.
	code, body = get(t, s, "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&status=historical")
	if code != http.StatusOK || !strings.Contains(string(body), `"recordsTotal":3`) {
		t.Errorf("4.2 list: %s", body)
	}
}
