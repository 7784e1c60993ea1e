//go:build linux

package engine

import (
	"runtime"
	"sort"
	"testing"
	"time"

	"flowgate/internal/cputime"
)

// BenchmarkGrowthPauses creates 2,000,000 flows in batches of 100, as a
// collector hands them over, and reports the longest batches: the pauses a
// table growth (flow index, host map, slabs) inflicts on the sender. It is
// a benchmark, not a test, because durations depend on the machine; run it
// with -benchtime 1x (each iteration is the whole growth). Batches are timed
// in the thread's CPU time (threadCPU), so a loaded machine does not pass
// its scheduling delays off as engine pauses.
//
//	go test ./engine/ -run XXX -bench GrowthPauses -benchtime 1x
func BenchmarkGrowthPauses(b *testing.B) {
	const flows, batch = 2_000_000, 100
	keys := benchKeys(flows)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		t, c := benchTables(b, flows)
		now := c.Unix()
		bt := &Batch{Flows: make([]FlowRecord, batch)}
		pauses := make([]time.Duration, 0, flows/batch)
		for k := 0; k < flows; k += batch {
			for j := range bt.Flows {
				fill(&bt.Flows[j], &keys[k+j], now)
			}
			t0 := cputime.Thread()
			t.Process(bt)
			pauses = append(pauses, cputime.Thread()-t0)
		}
		if t.NumFlows() != flows {
			b.Fatalf("%d flows, want %d", t.NumFlows(), flows)
		}
		sort.Slice(pauses, func(i, j int) bool { return pauses[i] > pauses[j] })
		over := 0
		for _, p := range pauses {
			if p > 5*time.Millisecond {
				over++
			}
		}
		b.ReportMetric(float64(pauses[0].Microseconds()), "max-µs")
		b.ReportMetric(float64(pauses[len(pauses)/1000].Microseconds()), "p99.9-µs")
		b.ReportMetric(float64(pauses[len(pauses)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(over), "batches>5ms")
	}
}
