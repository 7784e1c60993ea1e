package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/lua/api"
)

// benchPages is a server with Lua pages and login off, driven through
// Handler without a socket.
func benchPages(b *testing.B) (*Server, http.Handler) {
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq")
	cfg := DefaultConfiguration()
	cfg.DisableLogin = true
	s := New(cfg, Dependencies{Engine: eng})
	pcfg := DefaultPagesConfiguration()
	pcfg.ScriptsDir = "testdata/pages"
	pcfg.CallBudget = 5 * time.Second // a loaded machine must not fail the benchmark
	s.HandleLuaPages(pcfg, PagesDependencies{Lua: api.Deps{Cache: api.NewCache()}})
	s.pages.wd.Start()
	b.Cleanup(s.pages.stop)
	return s, s.Handler()
}

// BenchmarkLuaPage: seed 004's pattern 1 (interface.select,
// interface.getStats, rest_utils.answer) on a pooled state, per request.
func BenchmarkLuaPage(b *testing.B) {
	_, h := benchPages(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", ex+"pattern1.lua?ifid=0", nil))
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkPageStateReset: putting a used state back as it was built.
func BenchmarkPageStateReset(b *testing.B) {
	s, _ := benchPages(b)
	ps := newPageState(s.pages, "nologin")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ps.st.L.SetGlobal("_GET", ps.st.L.NewTable())
		ps.reset()
	}
}

// BenchmarkPageStateNew: a fresh state, what each request would cost
// without the pool.
func BenchmarkPageStateNew(b *testing.B) {
	s, _ := benchPages(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		newPageState(s.pages, "nologin").st.Close()
	}
}
