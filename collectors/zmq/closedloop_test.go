package zmq

import (
	"context"
	"fmt"
	"testing"
	"time"

	"flowgate/collectors/zmq/emulator"
	"flowgate/engine"
	"flowgate/internal/testwait"
)

// gate holds the interface goroutine on every new flow until open is
// closed: an engine slower than any sender, without sleeping.
type gate struct{ open chan struct{} }

func (g gate) OnFlow(ev engine.FlowEvent, _ *engine.Flow, _ time.Time, _ *engine.Tables) {
	if ev == engine.FlowNew {
		<-g.open
	}
}

// TestClosedLoopNoQueueDrops: a blocking PUB (the emulator, as nProbe's
// default) sends new flows to a collector whose engine is held. By default
// the collector waits on the full queue (TCP and the sender's high-water
// mark hold the rest), so once the engine moves on every record arrives and
// queue_full stays 0. With DropOnFullQueue, the choice of transports that
// cannot wait, the refused batches are counted as queue_full instead.
func TestClosedLoopNoQueueDrops(t *testing.T) {
	tests := []struct {
		name   string
		drop   bool
		shards int
	}{
		{"wait (default)", false, 1},
		{"drop on full queue", true, 1},
		{"wait, 2 engine shards", false, 2},
		{"drop on full queue, 2 engine shards", true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := gate{open: make(chan struct{})}
			cfg := engine.DefaultConfiguration()
			cfg.QueueLen = 2
			cfg.Shards = tc.shards
			eng := engine.New(cfg)
			eng.Observe(func(*engine.Interface) engine.FlowObserver { return g })
			ep := Endpoint{Addr: fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t)), Bind: true}
			iface := eng.AddInterface(ep.String(), "zmq")
			ccfg := DefaultConfiguration()
			ccfg.Endpoints = []Endpoint{ep}
			ccfg.DropOnFullQueue = tc.drop
			c, err := New(ccfg, iface)
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Start(); err != nil {
				t.Fatal(err)
			}
			defer eng.Stop()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			defer func() {
				select {
				case <-g.open:
				default:
					close(g.open) // a failed wait below must not leave the engine held
				}
			}()

			type result struct {
				rep emulator.Report
				err error
			}
			sent := make(chan result, 1)
			go func() {
				rep, err := emulator.Run(context.Background(), emulator.Config{
					Endpoint: ep.Addr, ProbeMode: true, Header: 3, TLV: true,
					Batch: 100, Total: 100_000, Flows: 1000, Churn: 100, Hosts: 200,
					WaitPeers: testwait.Timeout,
				})
				sent <- result{rep, err}
			}()
			// The engine is held on its first flow and its queue fills up:
			// the collector then either waits or drops.
			testwait.For(t, "the collector to meet a full queue", func() bool {
				s := iface.Snapshot()
				return s.QueueWaits > 0 || s.QueueFullBatches > 0
			})
			close(g.open)
			r := <-sent
			if r.err != nil {
				t.Fatalf("sender: %v", r.err)
			}
			var st engine.InterfaceStats
			testwait.For(t, "every record processed or dropped", func() bool {
				iface.Do(func(tb *engine.Tables) { st = *tb.Stats() })
				st.DropsQueueFull = iface.Snapshot().DropsQueueFull
				return st.FlowRecords+st.DropsQueueFull == r.rep.Flows
			})
			s := iface.Snapshot()
			lost := iface.Collector().MsgDrops.Load()
			if lost != 0 {
				t.Errorf("msg_id gaps: %d messages lost in the transport", lost)
			}
			if tc.drop {
				if s.DropsQueueFull == 0 || s.QueueWaits != 0 {
					t.Errorf("drop mode: queue_full %d waits %d, want drops and no wait", s.DropsQueueFull, s.QueueWaits)
				}
				return
			}
			if s.DropsQueueFull != 0 || s.QueueFullBatches != 0 || s.QueueWaits == 0 {
				t.Errorf("wait mode: queue_full %d flows in %d batches, waits %d; want 0, 0 and some waits",
					s.DropsQueueFull, s.QueueFullBatches, s.QueueWaits)
			}
			if st.FlowRecords != r.rep.Flows || st.TotalFlows != r.rep.DistinctFlows {
				t.Errorf("engine records %d flows %d, sender sent %d records of %d flows",
					st.FlowRecords, st.TotalFlows, r.rep.Flows, r.rep.DistinctFlows)
			}
		})
	}
}
