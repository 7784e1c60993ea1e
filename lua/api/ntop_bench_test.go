package api

import (
	"os"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/store/kv"
	"flowgate/store/kv/kvtest"
)

// benchCache runs b.N ntop.setCache or ntop.getCache calls from one Lua
// loop on store s (one core, one Lua state, as a hook would).
func benchCache(b *testing.B, s kv.Store, call string) {
	e := newEnv(b, Deps{Cache: NewCacheOn(s), Logger: quietLog()})
	if err := e.L.DoString(`
		function set_loop(n) local set = ntop.setCache for i = 1, n do set("bench.key", "value") end end
		function get_loop(n) local get = ntop.getCache for i = 1, n do get("bench.key") end end
		ntop.setCache("bench.key", "value")`); err != nil {
		b.Fatal(err)
	}
	fn := e.L.GetGlobal(call + "_loop")
	b.ReportAllocs()
	b.ResetTimer()
	if err := e.L.CallByParam(lua.P{Fn: fn, Protect: true}, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkNtopCacheEmbedded(b *testing.B) {
	for _, call := range []string{"set", "get"} {
		b.Run(call, func(b *testing.B) {
			s, err := kv.OpenEmbedded(kv.Config{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchCache(b, s, call)
		})
	}
}

// BenchmarkNtopCacheRedis compares with `redis-benchmark -c 1 -P 1 -t
// get,set` against the same server (bench/kv.sh runs both).
func BenchmarkNtopCacheRedis(b *testing.B) {
	addr := os.Getenv("FLOWGATE_BENCH_REDIS")
	if addr == "" {
		addr = kvtest.StartRedis(b, "")
	}
	for _, call := range []string{"set", "get"} {
		b.Run(call, func(b *testing.B) {
			s, err := kv.Open(kv.Config{Redis: addr})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchCache(b, s, call)
		})
	}
}
