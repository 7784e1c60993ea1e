package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"flowgate/engine"
)

// BenchmarkActiveHosts100k: host/active.lua?perPage=10 over 100,000 hosts.
func BenchmarkActiveHosts100k(b *testing.B) {
	ecfg := engine.DefaultConfiguration()
	ecfg.MaxHosts = 300000
	ecfg.MaxFlows = 300000
	eng := engine.New(ecfg)
	i := eng.AddInterface("eth0", "zmq")
	var recs []engine.FlowRecord
	for n := 0; n < 100000; n++ {
		recs = append(recs, engine.FlowRecord{SrcIP: netip.AddrFrom4([4]byte{10, 2 + byte(n>>16), byte(n >> 8), byte(n)}), DstIP: netip.MustParseAddr("192.0.2.1"),
			SrcPort: 40000, DstPort: 53, Proto: 17, InBytes: uint64(n), InPkts: 1, FirstSwitched: 1, LastSwitched: 2})
	}
	i.Process(&engine.Batch{Flows: recs})
	s := New(DefaultConfiguration(), Dependencies{Engine: eng})
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/lua/rest/v2/get/host/active.lua?ifid=0&perPage=10", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
