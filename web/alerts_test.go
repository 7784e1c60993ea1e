package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"flowgate/alerts"
	"flowgate/engine"
)

func alertServer(t *testing.T) *Server {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq") // ifid 0
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	st := alerts.NewStore(alerts.Config{})
	host := alerts.Alert{IfID: 0, Type: 49, Subtype: "bytes", Severity: alerts.SeverityError,
		Entity: alerts.EntityHost, EntityVal: "10.0.0.1@0", Granularity: 60, Tstamp: 1000, Script: "bytes"}
	st.Trigger(host) // engaged
	ifa := alerts.Alert{IfID: 0, Type: 49, Subtype: "throughput", Severity: alerts.SeverityWarning,
		Entity: alerts.EntityInterface, EntityVal: "0", Granularity: 60, Tstamp: 2000}
	st.Trigger(ifa)
	ifa.TstampEnd = 2300
	st.Release(ifa) // historical
	st.StoreEvent(alerts.Alert{IfID: 0, Type: 8, Severity: alerts.SeverityError, Entity: alerts.EntityFlow,
		EntityVal: "flow", Tstamp: 3000, Flow: &alerts.FlowInfo{Status: 1}})
	st.StoreEvent(alerts.Alert{IfID: -1, Type: 18, Severity: alerts.SeverityInfo, Entity: alerts.EntityInterface,
		EntityVal: "-1", Tstamp: 4000})
	s.HandleAlerts(st)
	return s
}

type listAnswer struct {
	RC              int    `json:"rc"`
	RCStr           string `json:"rc_str"`
	RecordsTotal    int    `json:"recordsTotal"`
	RecordsFiltered int    `json:"recordsFiltered"`
	Rsp             struct {
		Records []struct {
			RowID     string `json:"row_id"`
			Status    string `json:"status"`
			Family    string `json:"family"`
			EntityVal string `json:"entity_val"`
			Subtype   string `json:"subtype"`
			Duration  int64  `json:"duration"`
			AlertID   struct {
				Value int    `json:"value"`
				Label string `json:"label"`
			} `json:"alert_id"`
			Severity struct {
				Value int    `json:"value"`
				Label string `json:"label"`
			} `json:"severity"`
			Tstamp struct {
				Value int64 `json:"value"`
			} `json:"tstamp"`
		} `json:"records"`
	} `json:"rsp"`
}

func get(t *testing.T, s *Server, url string) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	return rec.Code, rec.Body.Bytes()
}

func TestAlertLists(t *testing.T) {
	s := alertServer(t)
	for _, tc := range []struct {
		name  string
		url   string
		want  string // entity values in answer order
		total int
	}{
		{"all of ifid 0, newest first", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0", "flow,0,10.0.0.1@0", 3},
		{"engaged", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&status=engaged", "10.0.0.1@0", 1},
		{"historical", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&status=historical", "flow,0", 2},
		{"historical flows", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&status=historical-flows", "flow", 1},
		{"epoch window", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&epoch_begin=2100&epoch_end=2500", "0", 1},
		{"paging", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&currentPage=2&perPage=2", "10.0.0.1@0", 3},
		{"start/length", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&start=1&length=1", "0", 3},
		{"ascending", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&sortOrder=asc", "10.0.0.1@0,0,flow", 3},
		{"severity at least error", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&severity=error", "flow,10.0.0.1@0", 2},
		{"family", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&alert_family=host", "10.0.0.1@0", 1},
		{"host list", "/lua/rest/v2/get/host/alert/list.lua?ifid=0", "10.0.0.1@0", 1},
		{"host list by ip", "/lua/rest/v2/get/host/alert/list.lua?ifid=0&ip=10.0.0.1", "10.0.0.1@0", 1},
		{"host list other ip", "/lua/rest/v2/get/host/alert/list.lua?ifid=0&ip=10.0.0.2", "", 0},
		{"interface list", "/lua/rest/v2/get/interface/alert/list.lua?ifid=0", "0", 1},
		{"interface by subtype", "/lua/rest/v2/get/interface/alert/list.lua?ifid=0&subtype=bytes", "", 0},
		{"flow list", "/lua/rest/v2/get/flow/alert/list.lua?ifid=0", "flow", 1},
		{"network list", "/lua/rest/v2/get/network/alert/list.lua?ifid=0", "", 0},
		{"alert_id by key", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&alert_id=alert_flow_blacklisted", "flow", 1},
		{"system", "/lua/rest/v2/get/system/alert/list.lua", "-1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, s, tc.url)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", code, body)
			}
			var a listAnswer
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			var vals []string
			for _, r := range a.Rsp.Records {
				vals = append(vals, r.EntityVal)
			}
			if got := strings.Join(vals, ","); got != tc.want || a.RecordsTotal != tc.total || a.RC != 0 || a.RCStr != "OK" {
				t.Errorf("got %q total %d rc %d, want %q total %d", got, a.RecordsTotal, a.RC, tc.want, tc.total)
			}
		})
	}
}

func TestAlertRecordShape(t *testing.T) {
	s := alertServer(t)
	_, body := get(t, s, "/lua/rest/v2/get/interface/alert/list.lua?ifid=0")
	var a listAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	r := a.Rsp.Records[0]
	if r.Status != "historical" || r.Family != "interface" || r.Subtype != "throughput" || r.Duration != 300 ||
		r.AlertID.Value != 49 || r.AlertID.Label != "Threshold Cross" || r.Severity.Value != 4 || r.Tstamp.Value != 2000 || r.RowID == "" {
		t.Errorf("record %+v", r)
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	for _, k := range []string{"rc", "rc_str", "rc_str_hr", "recordsTotal", "recordsFiltered", "rsp"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
}

func TestAlertListErrors(t *testing.T) {
	s := alertServer(t)
	for _, tc := range []struct {
		url    string
		status int
		rcStr  string
	}{
		{"/lua/rest/v2/get/alert/list/alerts.lua", http.StatusBadRequest, "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=7", http.StatusBadRequest, "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=x", http.StatusBadRequest, "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&status=bogus", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&epoch_begin=10&epoch_end=5", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&epoch_begin=yesterday", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&perPage=0", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&sortColumn=nope", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&severity=huge", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/alert/list/alerts.lua?ifid=0&alert_family=toaster", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/host/alert/list.lua?ifid=0&length=-1", http.StatusBadRequest, "INVALID_ARGUMENTS"},
	} {
		code, body := get(t, s, tc.url)
		var env struct {
			RCStr string `json:"rc_str"`
		}
		_ = json.Unmarshal(body, &env)
		if code != tc.status || env.RCStr != tc.rcStr {
			t.Errorf("%s: HTTP %d %s, want %d %s", tc.url, code, env.RCStr, tc.status, tc.rcStr)
		}
	}
}

func TestAlertConsts(t *testing.T) {
	s := alertServer(t)
	_, body := get(t, s, "/lua/rest/v2/get/alert/severity/consts.lua")
	var sev struct {
		RC  int `json:"rc"`
		Rsp []struct {
			Severity string `json:"severity"`
			ID       int    `json:"id"`
		} `json:"rsp"`
	}
	if err := json.Unmarshal(body, &sev); err != nil {
		t.Fatal(err)
	}
	if len(sev.Rsp) != 8 || sev.Rsp[0].Severity != "debug" || sev.Rsp[0].ID != 1 || sev.Rsp[7].Severity != "emergency" {
		t.Errorf("severities %+v", sev.Rsp)
	}
	_, body = get(t, s, "/lua/rest/v2/get/alert/type/consts.lua")
	var typ struct {
		Rsp []struct {
			Key  int    `json:"key"`
			Type string `json:"type"`
		} `json:"rsp"`
	}
	if err := json.Unmarshal(body, &typ); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range typ.Rsp {
		if e.Key == 49 && e.Type == "alert_threshold_cross" {
			found = true
		}
	}
	if !found || len(typ.Rsp) < 69 {
		t.Errorf("types: %d entries, threshold_cross found %v", len(typ.Rsp), found)
	}
}
