package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

func TestLifecycleEventOrder(t *testing.T) {
	c := newClock()
	e := New(testConfig(c))
	i := e.AddInterface("zmq0", "zmq")
	rec1 := &recorder{}
	e.Observe(func(*Interface) FlowObserver { return rec1 })
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	now := c.Unix()
	process(i, rec("10.1.0.1", "10.1.0.2", 40000, 53, 17, 1, 1, 1, 1, now, now))
	var id uint64
	for range 2 {
		c.Add(30 * time.Second) // PeriodicUpdate; still within the 60 s idle
		i.Do(func(tb *Tables) { tb.Tick() })
	}
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool {
			id = f.ID()
			tb.SetFlowStatus(f, 3, true)
			tb.SetFlowStatus(f, 3, true) // no change: no event
			if f.PeriodicCount != 2 {
				t.Errorf("PeriodicCount %d, want 2", f.PeriodicCount)
			}
			return true
		})
	})
	e.Stop()
	want := []recorded{{FlowNew, id}, {FlowProtocolDetected, id}, {FlowPeriodicUpdate, id},
		{FlowPeriodicUpdate, id}, {FlowStatusChanged, id}, {FlowEnd, id}}
	if got := rec1.events(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestStopEndsAllFlows(t *testing.T) {
	c := newClock()
	e := New(testConfig(c))
	ifs := []*Interface{e.AddInterface("a", "zmq"), e.AddInterface("b", "pcap")}
	recs := map[int][]*recorder{} // one per shard
	var mu sync.Mutex
	e.Observe(func(i *Interface) FlowObserver {
		r := &recorder{}
		mu.Lock()
		recs[i.ID()] = append(recs[i.ID()], r)
		mu.Unlock()
		return r
	})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	now := c.Unix()
	for n, i := range ifs {
		b := i.NewBatch()
		for p := range 10 * (n + 1) {
			b.Flows = append(b.Flows, rec("10.1.0.1", "10.1.0.2", uint16(40000+p), 53, 17, 1, 1, 0, 0, now, now))
		}
		if !i.Enqueue(b) {
			t.Fatal("enqueue refused on an empty queue")
		}
	}
	e.Stop()
	for n, i := range ifs {
		ends := 0
		for _, r := range recs[i.ID()] {
			for _, ev := range r.events() {
				if ev.ev == FlowEnd {
					ends++
				}
			}
		}
		if want := 10 * (n + 1); ends != want {
			t.Errorf("interface %d: %d FlowEnd, want %d (queued batches drained then ended)", i.ID(), ends, want)
		}
		if s := i.Snapshot(); s.ActiveFlows != 0 || s.TotalFlows != uint64(10*(n+1)) {
			t.Errorf("interface %d after Stop: active %d total %d", i.ID(), s.ActiveFlows, s.TotalFlows)
		}
		i.Do(func(tb *Tables) { // after Stop Do still works, inline
			if tb.NumFlows() != 0 {
				t.Errorf("%d flows after Stop", tb.NumFlows())
			}
		})
	}
	if e.Interface(1) != ifs[1] || e.Interface(2) != nil || len(e.Interfaces()) != 2 || ifs[1].Kind() != "pcap" {
		t.Error("interface registry wrong")
	}
}

func TestDoInsideAndOutsideOwner(t *testing.T) {
	c := newClock()
	e := New(testConfig(c))
	i := e.AddInterface("zmq0", "zmq")
	inner := 0
	obs := &recorder{}
	obs.fn = func(ev FlowEvent, f *Flow, t *Tables) {
		if ev == FlowNew {
			// An observer calling back into Do must not deadlock.
			i.Do(func(tb *Tables) { inner += tb.NumFlows() })
		}
	}
	e.Observe(func(*Interface) FlowObserver { return obs })
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := c.Unix()
			for n := range perWriter {
				b := i.NewBatch()
				b.Flows = append(b.Flows, rec(fmt.Sprintf("10.1.%d.1", w), "10.1.0.2", uint16(1024+n), 53, 17, 1, 1, 0, 0, now, now))
				for !i.Enqueue(b) {
					b = i.NewBatch()
					b.Flows = append(b.Flows, rec(fmt.Sprintf("10.1.%d.1", w), "10.1.0.2", uint16(1024+n), 53, 17, 1, 1, 0, 0, now, now))
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	// Readers see consistent tables while writers run.
	for range 50 {
		i.Do(func(tb *Tables) {
			var n int
			tb.Flows(func(*Flow) bool { n++; return true })
			if n != tb.NumFlows() || uint64(n) != tb.Stats().ActiveFlows {
				t.Errorf("iteration saw %d flows, table says %d", n, tb.NumFlows())
			}
		})
		_ = i.Snapshot()
	}
	wg.Wait()
	e.Stop() // drains the queue
	if s := i.Snapshot(); s.TotalFlows != writers*perWriter {
		t.Errorf("%d flows, want %d", s.TotalFlows, writers*perWriter)
	}
	if inner == 0 {
		t.Error("Do from the observer never ran")
	}
}

func TestQueueFullDrops(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.QueueLen = 2
	cfg.Shards = 1 // one queue; sharded: TestShardedQueues
	e := New(cfg)
	i := e.AddInterface("zmq0", "zmq")
	now := c.Unix()
	mk := func(n int) *Batch {
		b := i.NewBatch()
		for p := range n {
			b.Flows = append(b.Flows, rec("10.1.0.1", "10.1.0.2", uint16(40000+p), 53, 17, 1, 1, 0, 0, now, now))
		}
		return b
	}
	// Not started: nothing consumes the queue.
	got := []bool{i.Enqueue(mk(5)), i.Enqueue(mk(5)), i.Enqueue(mk(7)), i.Enqueue(mk(3))}
	if !slices.Equal(got, []bool{true, true, false, false}) {
		t.Fatalf("Enqueue results %v", got)
	}
	s := i.Snapshot()
	if s.QueueFullBatches != 2 || s.DropsQueueFull != 10 || s.DroppedFlows != 10 {
		t.Errorf("queue drops: batches %d flows %d total %d, want 2 10 10", s.QueueFullBatches, s.DropsQueueFull, s.DroppedFlows)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.Stop()
	if s := i.Snapshot(); s.TotalFlows != 5 || s.FlowRecords != 10 {
		t.Errorf("after start: total flows %d records %d, want 5 10", s.TotalFlows, s.FlowRecords)
	}
}

// EnqueueWait waits on a full queue instead of dropping: the wait is
// counted, and the batch is processed once the interface goroutine takes
// it. Only a cancel or a stopped interface turns the wait into a counted
// queue drop.
func TestEnqueueWait(t *testing.T) {
	tests := []struct {
		name      string
		release   func(e *Engine, cancel chan struct{})
		ok        bool
		records   uint64 // flow records processed
		dropFlows uint64 // queue_full flow records
	}{
		{"engine takes it", func(e *Engine, _ chan struct{}) {
			if err := e.Start(); err != nil {
				t.Error(err)
			}
		}, true, 5 + 7, 0},
		{"cancelled", func(_ *Engine, cancel chan struct{}) { close(cancel) }, false, 5, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			cfg := testConfig(c)
			cfg.QueueLen = 1
			cfg.Shards = 1 // one queue; sharded: TestShardedQueues
			e := New(cfg)
			defer e.Stop()
			i := e.AddInterface("zmq0", "zmq")
			now := c.Unix()
			mk := func(n int) *Batch {
				b := i.NewBatch()
				for p := range n {
					b.Flows = append(b.Flows, rec("10.1.0.1", "10.1.0.2", uint16(40000+p), 53, 17, 1, 1, 0, 0, now, now))
				}
				return b
			}
			if !i.EnqueueWait(mk(5), nil) {
				t.Fatal("first batch refused by an empty queue")
			}
			cancel := make(chan struct{})
			res := make(chan bool)
			go func() { res <- i.EnqueueWait(mk(7), cancel) }()
			testwait.For(t, "the second batch waiting", func() bool { return i.Snapshot().QueueWaits == 1 })
			tc.release(e, cancel)
			if got := <-res; got != tc.ok {
				t.Errorf("EnqueueWait = %v, want %v", got, tc.ok)
			}
			_ = e.Start() // processes the first batch when not started yet
			e.Stop()
			s := i.Snapshot()
			if s.FlowRecords != tc.records || s.DropsQueueFull != tc.dropFlows || s.QueueWaits != 1 {
				t.Errorf("records %d queue_full %d waits %d, want %d %d 1", s.FlowRecords, s.DropsQueueFull, s.QueueWaits, tc.records, tc.dropFlows)
			}
			// After the interface goroutine ended, a full queue cannot wait.
			if i.Enqueue(mk(1)) && i.EnqueueWait(mk(2), nil) {
				t.Error("EnqueueWait after Stop on a full queue returned true")
			}
		})
	}
}

func TestCounterTable(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	dev := netip.MustParseAddr("192.0.2.1")
	cr := func(idx uint32, name string, seq uint32, in, out uint64) CounterRecord {
		return CounterRecord{DeviceIP: dev, IfIndex: idx, IfName: name, SamplesGenerated: seq, InOctets: in, OutOctets: out, IfSpeed: 1e9}
	}
	tests := []struct {
		name    string
		recs    []CounterRecord
		in, out uint64
		rows    int
	}{
		{"new row", []CounterRecord{cr(1, "eth0", 1, 100, 0)}, 100, 0, 1},
		{"new sample replaces", []CounterRecord{cr(1, "eth0", 1, 100, 0), cr(1, "eth0", 2, 150, 70)}, 150, 70, 1},
		{"same sample adds (split halves)", []CounterRecord{cr(1, "eth0", 5, 100, 0), cr(1, "eth0", 5, 0, 80)}, 100, 80, 1},
		{"other ifName is another row", []CounterRecord{cr(1, "eth0", 5, 100, 0), cr(1, "eth1", 5, 1, 1)}, 100, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := New(testConfig(c)).AddInterface("x", "zmq")
			b := i.NewBatch()
			b.Counters = append(b.Counters, tc.recs...)
			i.Process(b)
			i.Do(func(tb *Tables) {
				rows := tb.InterfaceCounters()
				if len(rows) != tc.rows {
					t.Fatalf("%d rows, want %d", len(rows), tc.rows)
				}
				if r := rows[0]; r.InOctets != tc.in || r.OutOctets != tc.out || r.IfName != "eth0" {
					t.Errorf("row %+v, want in %d out %d", r.CounterRecord, tc.in, tc.out)
				}
			})
		})
	}
	_ = i
}

func TestProbeEvents(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	b := i.NewBatch()
	b.Events = append(b.Events,
		ProbeEvent{SourceID: 1, AvgBps: 1000, AvgPps: 10, IfSpeed: 10000, DropsExportQueueFull: 2, NumFlowExports: 5, NumZMQExporters: 1, Version: "10.1"},
		ProbeEvent{SourceID: 2, AvgBps: 500, AvgPps: 5, DropsExportQueueFull: 3, NumFlowExports: 7, NumZMQExporters: 1},
		ProbeEvent{SourceID: 1, AvgBps: 2000, AvgPps: 20, DropsExportQueueFull: 4, NumFlowExports: 6, NumZMQExporters: 1, Version: "10.2"},
	)
	i.Process(b)
	s := i.Snapshot()
	if s.RemoteBps != 2500 || s.RemotePps != 25 || s.DropsExportQueueFull != 7 || s.NumFlowExports != 13 ||
		s.NumExporters != 2 || s.NumProbes != 2 || s.Speed != 10000 || s.Events != 3 {
		t.Errorf("remote stats %+v", s)
	}
	c.Add(1000 * time.Second)
	b = i.NewBatch()
	b.Events = append(b.Events, ProbeEvent{SourceID: 2, AvgBps: 1})
	i.Process(b)
	c.Add(900 * time.Second) // probe 1 silent for 1900 s, probe 2 for 900 s
	i.Do(func(tb *Tables) {
		tb.Tick()
		ps := tb.Probes()
		if len(ps) != 1 || ps[0].SourceID != 2 {
			t.Errorf("probes after expiry %+v, want only source 2", ps)
		}
	})
	if s := i.Snapshot(); s.RemoteBps != 1 || s.NumProbes != 1 {
		t.Errorf("after expiry remote bps %d probes %d, want 1 1", s.RemoteBps, s.NumProbes)
	}
}

func TestListeningPorts(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	a := netip.MustParseAddr("10.1.0.1")
	b := i.NewBatch()
	b.Listening = append(b.Listening, ListeningPorts{InstanceName: "p", Addresses: []netip.Addr{a},
		Ports: []ListeningPort{{Proto: "tcp4", Port: 22, Process: "sshd"}}})
	i.Process(b)
	i.Do(func(tb *Tables) {
		if lp := tb.ListeningPorts(a); len(lp) != 1 || lp[0].Port != 22 || lp[0].Process != "sshd" {
			t.Errorf("listening ports %+v", lp)
		}
		if lp := tb.ListeningPorts(netip.MustParseAddr("10.1.0.2")); lp != nil {
			t.Errorf("unknown host has ports %+v", lp)
		}
	})
}

func TestPeersEstimate(t *testing.T) {
	for _, n := range []int{1, 10, 100, 1000, 20000} {
		var s hll
		for k := range n {
			a := netip.AddrFrom4([4]byte{10, byte(k >> 16), byte(k >> 8), byte(k)}).As16()
			s.add(mix64(&a, 0))
			s.add(mix64(&a, 0)) // duplicates do not count
		}
		got := s.estimate()
		if d := float64(got-n) / float64(n); d > 0.35 || d < -0.35 {
			t.Errorf("%d peers estimated as %d", n, got)
		}
	}
}

func TestStartTwice(t *testing.T) {
	e := New(Configuration{})
	e.AddInterface("a", "zmq")
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	e.Stop()
	e.Stop() // idempotent
	if err := e.Start(); err == nil {
		t.Error("Start after Stop succeeded")
	}
}
