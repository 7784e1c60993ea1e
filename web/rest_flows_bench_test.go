package web

import (
	"net/http/httptest"
	"net/netip"
	"runtime"
	"testing"

	"flowgate/engine"
	"flowgate/internal/cputime"
)

// BenchmarkActiveFlows1M: flow/active.lua's first page sorted by traffic
// (the UI's flows page and the dashboard's top flows) over 1,000,000
// active flows between 100,000 hosts: the walk inside the interface
// goroutine is what every other reader and the ingest wait behind.
func BenchmarkActiveFlows1M(b *testing.B) {
	ecfg := engine.DefaultConfiguration()
	ecfg.MaxHosts = 300000
	ecfg.MaxFlows = 3000000
	eng := engine.New(ecfg)
	i := eng.AddInterface("eth0", "zmq")
	addr := func(n int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}) }
	const flows, hosts = 1000000, 100000
	batch := &engine.Batch{}
	for n := 0; n < flows; n++ {
		batch.Flows = append(batch.Flows, engine.FlowRecord{SrcIP: addr(n % hosts), DstIP: addr((n + 1 + n/hosts) % hosts),
			SrcPort: uint16(1024 + n/hosts), DstPort: 443, Proto: 6, L7App: 91, L7Master: 7, L7Set: true,
			InBytes: uint64(n % 5000), InPkts: 1, FirstSwitched: 1, LastSwitched: 2})
		if len(batch.Flows) == 10000 {
			i.Process(batch)
			batch = &engine.Batch{}
		}
	}
	s := New(DefaultConfiguration(), Dependencies{Engine: eng})
	runtime.GC() // the fill's garbage is not the requests' cost
	b.ResetTimer()
	cpu0 := cputime.Process()
	for n := 0; n < b.N; n++ {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/lua/rest/v2/get/flow/active.lua?ifid=0&perPage=10&sortColumn=bytes&sortOrder=desc", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
