package api

import (
	"context"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/alerts/sqlitestore"
	"flowgate/lua/vm"
)

// ntop.alert_store_query answers a SELECT on the real SQLite alert store
// as rows of strings (as ntopng's store does), and refuses writes with nil.
func TestAlertStoreQuery(t *testing.T) {
	db := sqlitestore.New(sqlitestore.Configuration{DataDir: t.TempDir()})
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	for i, ip := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"} {
		db.Append(alerts.Alert{ID: uint64(i + 1), Type: 49, Severity: alerts.SeverityError, Entity: alerts.EntityHost,
			EntityVal: ip + "@0", Tstamp: int64(1000 + i), TstampEnd: int64(1060 + i), JSON: `{}`, Action: alerts.ActionStore})
	}
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		deps Deps
		code string
		want string
	}{
		{"grouped select", Deps{Services: &Services{AlertStore: db}},
			`local r = ntop.alert_store_query("SELECT ip, COUNT(*) AS n FROM host_alerts GROUP BY ip ORDER BY n DESC", 0)
			 return #r .. " " .. r[1].ip .. " " .. r[1].n .. " " .. type(r[1].n) .. " " .. tonumber(r[2].n)`,
			"2 10.0.0.1 2 string 1"},
		{"NULL is nil", Deps{Services: &Services{AlertStore: db}},
			`local r = ntop.alert_store_query("SELECT NULL AS x, 1 AS y FROM host_alerts LIMIT 1")
			 return tostring(r[1].x) .. " " .. r[1].y`,
			"nil 1"},
		{"write refused", Deps{Services: &Services{AlertStore: db}},
			`return tostring(ntop.alert_store_query("DELETE FROM host_alerts"))`,
			"nil"},
		{"other tables refused", Deps{Services: &Services{AlertStore: db}},
			`return tostring(ntop.alert_store_query("SELECT * FROM sqlite_master"))`,
			"nil"},
		{"no store", Deps{},
			`local ok, err = pcall(ntop.alert_store_query, "SELECT 1 FROM host_alerts")
			 return tostring(ok) .. " " .. tostring(err):match("no alert store") `,
			"false no alert store"},
	} {
		s := vm.New(vm.Options{Install: func(L *lua.LState) { Install(L, &Context{}, tc.deps) }})
		p, err := vm.CompileString(tc.code, "q.lua")
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.Call(0, s.Load(p), 0, nil, nil, nil)
		s.Close()
		if err != nil || v.String() != tc.want {
			t.Errorf("%s: %v, %v; want %q", tc.name, v, err, tc.want)
		}
	}
	// The rows still there: nothing was deleted by the refused query.
	rows, err := db.Select(context.Background(), "SELECT COUNT(*) AS n FROM host_alerts")
	if err != nil || rows[0]["n"] != int64(3) {
		t.Errorf("rows after refused delete: %v %v", rows, err)
	}
}
