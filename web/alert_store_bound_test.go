package web

import (
	"encoding/json"
	"net/http"
	"testing"

	"flowgate/alerts"
	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
)

// A list whose count stopped at the store's CountLimit says so with
// recordsTotalIsLowerBound; an exact total leaves the field out.
func TestAlertStoreCountBound(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq") // ifid 0
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	db := sqlitestore.New(sqlitestore.Configuration{DataDir: t.TempDir(), CountLimit: 2})
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	for i, srv := range []string{"8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.4.4"} {
		st.StoreEvent(alerts.Alert{IfID: 0, Type: 62, Severity: alerts.SeverityError, Entity: alerts.EntityFlow,
			EntityVal: "flow", Tstamp: int64(1000 + i), Flow: &alerts.FlowInfo{Cli: alerts.FlowPeer{Addr: "10.0.0.1"},
				Srv: alerts.FlowPeer{Addr: srv}}})
	}
	s.HandleAlertStore(db, st)
	for _, tc := range []struct {
		url   string
		total int
		bound bool
	}{
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&length=1", 2, true},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&length=1&srv_ip=8.8;in", 2, false},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&length=1&srv_ip=1.1.1.1;eq", 1, false},
		{"/lua/rest/v2/get/flow/alert/list.lua?ifid=0&start=2&length=2", 4, false},
	} {
		code, body := get(t, s, tc.url)
		var ans map[string]any
		if err := json.Unmarshal(body, &ans); err != nil || code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.url, code, body)
		}
		_, has := ans["recordsTotalIsLowerBound"]
		if int(ans["recordsTotal"].(float64)) != tc.total || has != tc.bound {
			t.Errorf("%s: %s, want total %d, lower bound %v", tc.url, body, tc.total, tc.bound)
		}
	}
}
