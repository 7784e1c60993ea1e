package scripts

import (
	"net/netip"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
)

// BenchmarkFlowHookCall: one protocolDetected event into one script that
// reads two flow fields (flow.getBytes, flow.getServerKey), through the
// observer (config/generation checks, filters, budget, accounting).
func BenchmarkFlowHookCall(b *testing.B) {
	dir := b.TempDir()
	src, _ := readFile("testdata/flow/callbacks/interface/flow/on_protocolDetected.lua")
	writeFile(b, dir+"/callbacks/interface/flow/on_protocolDetected.lua", src)
	clk := newClock(time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC))
	eng := engine.New(engine.Configuration{Now: clk.Now})
	iface := eng.AddInterface("bench", "zmq")
	rt := New(Configuration{Dir: dir, Now: clk.Now, PollInterval: -1, Logger: quietLogger()}, eng, alerts.NewStore(alerts.Config{}), api.Deps{Logger: quietLogger()})
	if err := rt.Start(); err != nil {
		b.Fatal(err)
	}
	defer rt.Stop()
	bt := iface.NewBatch()
	r := bt.AddFlow()
	r.SrcIP, r.DstIP, r.SrcPort, r.DstPort, r.Proto = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 1000, 53, 17
	r.InBytes, r.InPkts = 100, 1
	iface.Process(bt)
	o := rt.observerFor(iface).(*flowObserver)
	iface.Do(func(t *engine.Tables) {
		var fl *engine.Flow
		t.Flows(func(f *engine.Flow) bool { fl = f; return false })
		now := clk.Now()
		o.OnFlow(engine.FlowProtocolDetected, fl, now, t)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			o.OnFlow(engine.FlowProtocolDetected, fl, now, t)
		}
		b.StopTimer()
	})
	if s := rt.Stats()[0]; s.Errors != 0 || s.Calls < uint64(b.N) {
		b.Fatalf("stats %+v", s)
	}
}

// BenchmarkNewFlowsWithScripts: end to end in the engine's goroutine, new
// flows processed (FlowNew, protocolDetected) and later ended (flowEnd)
// with three flow scripts loaded (protocolDetected, periodicUpdate,
// flowEnd). Reports flows/s.
func BenchmarkNewFlowsWithScripts(b *testing.B) {
	for _, withScripts := range []bool{false, true} {
		name := "noScripts"
		if withScripts {
			name = "threeScripts"
		}
		b.Run(name, func(b *testing.B) {
			clk := newClock(time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC))
			eng := engine.New(engine.Configuration{Now: clk.Now, MaxFlows: 1 << 20, MaxHosts: 1 << 20})
			iface := eng.AddInterface("bench", "zmq")
			if withScripts {
				rt := New(Configuration{Dir: "testdata/bench", Now: clk.Now, PollInterval: -1, Logger: quietLogger()}, eng, alerts.NewStore(alerts.Config{}), api.Deps{Logger: quietLogger()})
				if err := rt.Start(); err != nil {
					b.Fatal(err)
				}
				defer rt.Stop()
			}
			if err := eng.Start(); err != nil {
				b.Fatal(err)
			}
			defer eng.Stop()
			const round = 65536
			batch := &engine.Batch{}
			b.ReportAllocs()
			b.ResetTimer()
			done := 0
			for done < b.N {
				n := min(round, b.N-done)
				iface.Do(func(t *engine.Tables) {
					now := uint32(clk.Now().Unix())
					for k := 0; k < n; k += 256 {
						batch.Reset()
						for j := k; j < k+256 && j < n; j++ {
							r := batch.AddFlow()
							r.SrcIP = netip.AddrFrom4([4]byte{10, 1, byte(j >> 8), byte(j)})
							r.DstIP = netip.AddrFrom4([4]byte{10, 2, 0, byte(j & 7)})
							r.SrcPort, r.DstPort, r.Proto = uint16(1024+j%60000), 53, 17
							r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = 100, 1, 200, 1
							r.FirstSwitched, r.LastSwitched = now-1, now
						}
						t.Process(batch)
					}
					clk.Add(300 * time.Second) // idle: the next ticks end them all
					for t.NumFlows() > 0 {
						t.Tick()
					}
				})
				done += n
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "flows/s")
		})
	}
}
