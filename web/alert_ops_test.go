package web

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"flowgate/alerts"
)

func TestAlertOps(t *testing.T) {
	s := alertServer(t)
	st := alerts.NewStore(alerts.Config{})
	for i := 0; i < 3; i++ {
		st.StoreEvent(alerts.Alert{IfID: 0, Type: 49, Severity: alerts.SeverityError, Entity: alerts.EntityHost,
			EntityVal: "10.0.0.1@0", Tstamp: int64(1000 + i)})
	}
	s.HandleAlertOps(st)
	call := func(path string) float64 {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var env struct {
			RC  int            `json:"rc"`
			Rsp map[string]any `json:"rsp"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.RC != 0 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return env.Rsp["count"].(float64)
	}
	if n := call("/lua/rest/v2/acknowledge/host/alerts.lua?ifid=0&row_id=1,2"); n != 2 {
		t.Fatalf("acknowledged %v", n)
	}
	if n := call("/lua/rest/v2/delete/host/alerts.lua?ifid=0&epoch_begin=1002"); n != 1 {
		t.Fatalf("deleted %v", n)
	}
	if n := call("/lua/rest/v2/delete/flow/alerts.lua?ifid=0"); n != 0 {
		t.Fatalf("deleted flows %v", n)
	}
	if rows, _ := st.List(alerts.Query{}); len(rows) != 2 || !rows[0].Acknowledged {
		t.Fatalf("rows %+v", rows)
	}
}
