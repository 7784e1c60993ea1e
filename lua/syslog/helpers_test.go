package syslog

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
)

// recorder collects what test handlers pass to the Go function record(...).
type recorder struct {
	mu   sync.Mutex
	rows [][]string
}

func (r *recorder) install(L *lua.LState, _ *api.Context) {
	L.SetGlobal("record", L.NewFunction(func(L *lua.LState) int {
		row := make([]string, L.GetTop())
		for i := range row {
			v := L.Get(i + 1)
			if t, ok := v.(*lua.LTable); ok {
				// tables are recorded by a probe field the test names
				row[i] = "table:" + lua.LVAsString(t.RawGetString("probe"))
				continue
			}
			row[i] = v.String()
		}
		r.mu.Lock()
		r.rows = append(r.rows, row)
		r.mu.Unlock()
		return 0
	}))
}

func (r *recorder) get() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.rows...)
}

// writeScripts writes name → source under dir/callbacks/syslog.
func writeScripts(t testing.TB, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	d := filepath.Join(dir, "callbacks", "syslog")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range scripts {
		if err := os.WriteFile(filepath.Join(d, name+".lua"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type fixture struct {
	eng   *engine.Engine
	iface *engine.Interface
	store *alerts.Store
	rt    *Runtime
	rec   *recorder
}

func newFixture(t testing.TB, dir string, cfg Configuration) *fixture {
	t.Helper()
	f := &fixture{rec: &recorder{}}
	f.eng = engine.New(engine.DefaultConfiguration())
	f.iface = f.eng.AddInterface("syslog://127.0.0.1:0", "syslog")
	f.store = alerts.NewStore(alerts.Config{})
	if err := f.eng.Start(); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = dir
	if cfg.Install == nil {
		cfg.Install = f.rec.install
	}
	f.rt = New(cfg, f.eng, f.iface, f.store, api.Deps{})
	if err := f.rt.Start(); err != nil {
		t.Logf("start: %v", err)
	}
	t.Cleanup(func() {
		f.rt.Stop()
		f.eng.Stop()
	})
	return f
}
