package sampler

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkCycle is the cost of five minutes of sampling (300 rounds: the
// 1 s schemas each, the 60 s ones 5 times, the local hosts once) with
// 100,000 local hosts (three protocols each) and 1,000,000 active flows,
// writing every schema. It reports the share of one core (the cycle's
// time over 300 s), the samples per cycle and the time the engine waited
// for the sampler (inside Interface.Do) per cycle.
// go test -run XXX -bench Cycle -benchtime 3x ./history/sampler
func BenchmarkCycle(b *testing.B) {
	const hosts, flows = 100_000, 1_000_000
	start := time.Unix(1_700_000_100, 0) // a 5-minute boundary
	r := newRig(b, start, flows+hosts+1000)
	srv := func(k int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, byte(k >> 8), byte(k)}) }
	apps := []uint16{7, 91, 5} // HTTP, TLS, DNS
	for k := 0; k < flows; {
		bt := r.iface.NewBatch()
		for n := 0; n < 100 && k < flows; n++ {
			h := k % hosts
			f := bt.AddFlow()
			f.SrcIP = netip.AddrFrom4([4]byte{10, byte(h >> 16), byte(h >> 8), byte(h)})
			f.DstIP, f.SrcPort, f.DstPort, f.Proto = srv(k%1000), uint16(1024+k/hosts), 443, 6
			f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = 1000, 1, 100, 1
			f.FirstSwitched, f.LastSwitched = uint32(start.Unix()), uint32(start.Unix())
			f.L7Set, f.L7App = true, apps[(k/hosts)%len(apps)]
			k++
		}
		r.iface.Process(bt)
	}
	cycle := func() time.Duration {
		t0 := time.Now()
		for range 300 {
			r.c.t = r.c.t.Add(time.Second)
			r.smp.Round(r.c.t)
		}
		return time.Since(t0)
	}
	r.smp.Round(r.c.t) // baseline and series registration
	cycle()            // first points
	b.ResetTimer()
	var spent time.Duration
	for range b.N {
		spent += cycle()
	}
	b.StopTimer()
	b.ReportMetric(100*spent.Seconds()/(300*float64(b.N)), "%core")
	c := r.smp.Counters()
	b.ReportMetric(float64(c.Samples)/float64(b.N+2), "samples/cycle")
	// Time the engine waited (inside Interface.Do), per cycle, all cycles.
	b.ReportMetric(float64(c.EngineNanos)/1e6/float64(b.N+2), "engine-ms/cycle")
}
