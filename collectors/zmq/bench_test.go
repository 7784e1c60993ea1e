package zmq

import (
	"testing"

	"flowgate/engine"
	"flowgate/internal/cputime"
)

// BenchmarkHandle is the collector's whole per-message path without the
// socket: header, TLV or JSON decode into a batch, hand-off to a running
// engine interface and the engine's update, 100 records per message, as
// flows per second and bytes allocated per flow. The engine runs in its
// goroutine, as in flowgate; the benchmark waits for it at the end.
//
//	go test ./collectors/zmq -run XXX -bench Handle -benchtime 2000x -count 5
func BenchmarkHandle(b *testing.B) {
	for _, tc := range []struct {
		name string
		tlv  bool
	}{{"tlv", true}, {"json", false}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b)
			const perMsg = 100
			msgs := make([][][]byte, 200) // 20,000 flows updated in turn
			for m := range msgs {
				msgs[m] = message(b, 3, tc.tlv, false, uint32(m+1), m*perMsg, perMsg)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cputime.Process()
			n := 0
			for b.Loop() {
				f.c.Handle(msgs[n%len(msgs)], 0)
				n++
			}
			var recs uint64
			f.iface.Do(func(t *engine.Tables) { recs = t.Stats().FlowRecords })
			// The process's CPU time (decode, engine, GC): what a loaded
			// machine does not inflate, unlike ns/flow.
			b.ReportMetric(cputime.PerOp(cpu0, cputime.Process, n*perMsg), "cpu-ns/flow")
			b.StopTimer()
			if recs != uint64(n*perMsg) {
				b.Fatalf("engine processed %d records, want %d", recs, n*perMsg)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*perMsg), "ns/flow")
		})
	}
}
