package engine

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"flowgate/internal/testwait"
)

// Both directions of a flow, and its §6.1 variants (ICMP ports, a
// v4-mapped address, a missing side), land in one shard.
func TestShardOfBothDirections(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.Shards = 4
	i := newIface(t, cfg)
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[int]int{}
	for n := range 2000 {
		a := netip.AddrFrom4([4]byte{10, 1, byte(rng.IntN(256)), byte(rng.IntN(256))})
		b := netip.AddrFrom4([4]byte{192, 168, 0, byte(rng.IntN(256))})
		proto := []uint8{6, 17, 1, 47}[n%4]
		r := rec(a.String(), b.String(), uint16(rng.IntN(65536)), uint16(rng.IntN(65536)), proto, 1, 1, 1, 1, 0, 0)
		r.VLAN = uint16(n % 3)
		rev := r
		rev.SrcIP, rev.DstIP, rev.SrcPort, rev.DstPort = r.DstIP, netip.AddrFrom16(r.SrcIP.As16()), r.DstPort, r.SrcPort
		k := i.shardOf(&r)
		if got := i.shardOf(&rev); got != k {
			t.Fatalf("%v: shard %d, reverse %d", r.SrcIP, k, got)
		}
		seen[k]++
	}
	for k := range 4 {
		if seen[k] < 300 { // 500 expected
			t.Errorf("shard %d got %d of 2000 flows: %v", k, seen[k], seen)
		}
	}
	// One side missing: processFlow fills it with the other's unspecified
	// address, and so does the partition.
	r := rec("10.1.0.1", "0.0.0.0", 1, 2, 6, 1, 1, 0, 0, 0, 0)
	r2 := r
	r2.DstIP = netip.Addr{}
	if i.shardOf(&r) != i.shardOf(&r2) {
		t.Error("a missing address and 0.0.0.0 land in different shards")
	}
}

// With 2 shards fed concurrently, every host's counters are the sums of its
// flows' (whatever shard they live in), the interface totals are the sums
// over flows, flow IDs are unique and find their flow, and Do sees every
// record enqueued before it.
func TestShardedHostsConsistent(t *testing.T) {
	for _, shards := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			c := newClock()
			cfg := testConfig(c)
			cfg.Shards = shards
			e := New(cfg)
			i := e.AddInterface("zmq0", "zmq")
			obs := map[*recorder]bool{}
			e.Observe(func(*Interface) FlowObserver { r := &recorder{}; obs[r] = true; return r })
			if err := e.Start(); err != nil {
				t.Fatal(err)
			}
			defer e.Stop()
			if i.Shards() != shards {
				t.Fatalf("Shards() = %d", i.Shards())
			}
			now := c.Unix()
			rng := rand.New(rand.NewPCG(5, 6))
			const flows, updates = 500, 4
			var sentBytes, sentPkts uint64
			for u := range updates {
				b := i.NewBatch()
				for f := range flows {
					// 20 local clients, 30 remote servers: every host has
					// flows in every shard.
					cli := fmt.Sprintf("10.1.0.%d", 1+f%20)
					srv := fmt.Sprintf("8.8.%d.%d", f%3, f%10)
					inB, outB := uint64(1+rng.IntN(1000)), uint64(rng.IntN(500))
					r := rec(cli, srv, uint16(30000+f), 443, 6, inB, 1, outB, 1, now, now)
					r.L7Set, r.L7App = true, uint16(1+f%4)
					if u%2 == 1 { // the other direction of the same flows
						r = rec(srv, cli, 443, uint16(30000+f), 6, outB, 1, inB, 1, now, now)
						r.L7Set, r.L7App = true, uint16(1+f%4)
					}
					sentBytes += inB + outB
					sentPkts += 2
					b.Flows = append(b.Flows, r)
				}
				if !i.EnqueueWait(b, nil) {
					t.Fatal("batch refused")
				}
			}
			type sums struct {
				Traffic
				asCli, asSrv uint64
				l7           map[uint16]uint64
			}
			i.Do(func(tb *Tables) {
				want := map[*Host]*sums{}
				get := func(h *Host) *sums {
					if want[h] == nil {
						want[h] = &sums{l7: map[uint16]uint64{}}
					}
					return want[h]
				}
				var fb, fp uint64
				ids := map[uint64]bool{}
				nf := 0
				tb.Flows(func(f *Flow) bool {
					nf++
					if ids[f.ID()] || tb.Flow(f.ID()) != f {
						t.Errorf("flow ID %x duplicated or not found", f.ID())
					}
					ids[f.ID()] = true
					fb += f.CliBytes + f.SrvBytes
					fp += f.CliPkts + f.SrvPkts
					ch, sh := get(tb.FlowClient(f)), get(tb.FlowServer(f))
					ch.add(f.CliBytes, f.CliPkts, f.SrvBytes, f.SrvPkts)
					sh.add(f.SrvBytes, f.SrvPkts, f.CliBytes, f.CliPkts)
					ch.asCli++
					sh.asSrv++
					ch.l7[f.L7()] += f.CliBytes + f.SrvBytes
					sh.l7[f.L7()] += f.CliBytes + f.SrvBytes
					return true
				})
				if nf != flows || tb.NumFlows() != flows {
					t.Errorf("%d flows (NumFlows %d), want %d: both directions must meet in one flow", nf, tb.NumFlows(), flows)
				}
				st := tb.Stats()
				if st.Bytes != sentBytes || fb != sentBytes || st.Packets != sentPkts || fp != sentPkts {
					t.Errorf("bytes: stats %d flows %d sent %d; packets: stats %d flows %d sent %d", st.Bytes, fb, sentBytes, st.Packets, fp, sentPkts)
				}
				if st.ActiveFlows != flows || st.TotalFlows != flows || st.FlowRecords != flows*updates || st.Hosts != 50 || tb.NumHosts() != 50 {
					t.Errorf("stats: active %d total %d records %d hosts %d/%d", st.ActiveFlows, st.TotalFlows, st.FlowRecords, st.Hosts, tb.NumHosts())
				}
				if st.LocalHosts != 20 {
					t.Errorf("local hosts %d, want 20", st.LocalHosts)
				}
				var up, l7 uint64
				tb.ProtocolBytes(func(_ uint16, n uint64) { l7 += n })
				if up = st.BytesUpload + st.BytesDownload; up != sentBytes || l7 != sentBytes {
					t.Errorf("upload+download %d, per-protocol %d, want %d", up, l7, sentBytes)
				}
				nh := 0
				tb.Hosts(func(h *Host) bool {
					nh++
					w := want[h]
					if w == nil {
						t.Errorf("host %v has no flow", h.IP())
						return true
					}
					if h.Traffic != w.Traffic || uint64(h.ActiveAsClient) != w.asCli || uint64(h.ActiveAsServer) != w.asSrv ||
						h.TotalAsClient != w.asCli || h.TotalAsServer != w.asSrv {
						t.Errorf("host %v: %+v active %d/%d total %d/%d; its flows: %+v %d/%d", h.IP(), h.Traffic,
							h.ActiveAsClient, h.ActiveAsServer, h.TotalAsClient, h.TotalAsServer, w.Traffic, w.asCli, w.asSrv)
					}
					for _, x := range h.L7 {
						if x.BytesSent+x.BytesRcvd != w.l7[x.Proto] {
							t.Errorf("host %v proto %d: %d bytes, its flows %d", h.IP(), x.Proto, x.BytesSent+x.BytesRcvd, w.l7[x.Proto])
						}
					}
					return true
				})
				if nh != 50 {
					t.Errorf("%d hosts, want 50", nh)
				}
			})
			if n := len(obs); n != shards {
				t.Errorf("%d observers, want one per shard (%d)", n, shards)
			}
			// Expiry: every flow and host goes, in every shard; the snapshot
			// is the sum of the shards'.
			c.Add(cfg.FlowIdle + 10e9)
			i.Do(func(tb *Tables) { tb.Tick() }) // flows end: hosts idle from now
			c.Add(cfg.HostIdle + 10e9)
			i.Do(func(tb *Tables) { tb.Tick() })
			s := i.Snapshot()
			if s.ActiveFlows != 0 || s.Hosts != 0 || s.FlowsExpired != flows || s.HostsExpired != 50 || s.Bytes != sentBytes {
				t.Errorf("after expiry: active %d hosts %d expired %d/%d bytes %d", s.ActiveFlows, s.Hosts, s.FlowsExpired, s.HostsExpired, s.Bytes)
			}
			ends := 0
			for r := range obs {
				for _, ev := range r.events() {
					if ev.ev == FlowEnd {
						ends++
					}
				}
			}
			if ends != flows {
				t.Errorf("%d FlowEnd, want %d", ends, flows)
			}
		})
	}
}

// shardRecs returns n records of new flows that all belong to shard k of i.
func shardRecs(i *Interface, k, n int, now uint32) []FlowRecord {
	var out []FlowRecord
	for p := 0; len(out) < n; p++ {
		r := rec("10.1.0.1", "10.1.0.2", uint16(10000+p), 53, 17, 1, 1, 0, 0, now, now)
		if i.shardOf(&r) == k {
			out = append(out, r)
		}
	}
	return out
}

// A full shard queue refuses only that shard's part of a batch: its records
// are counted as queue_full, the batch once per call; EnqueueWait waits (once
// counted) for the full shard alone, and a cancel drops only what is still
// waiting.
func TestShardedQueues(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.QueueLen, cfg.Shards = 1, 2
	e := New(cfg)
	defer e.Stop()
	i := e.AddInterface("zmq0", "zmq")
	now := c.Unix()
	recs := func(n0, n1 int) *Batch {
		b := i.NewBatch()
		b.Flows = append(b.Flows, shardRecs(i, 0, n0, now)...)
		b.Flows = append(b.Flows, shardRecs(i, 1, n1, now)...)
		return b
	}
	// Not started: nothing consumes the queues.
	got := []bool{i.Enqueue(recs(2, 0)), i.Enqueue(recs(3, 2)), i.Enqueue(recs(4, 1))}
	if got[0] != true || got[1] != false || got[2] != false {
		t.Fatalf("Enqueue results %v, want true false false", got)
	}
	s := i.Snapshot()
	if s.QueueFullBatches != 2 || s.DropsQueueFull != 3+5 || s.DroppedFlows != 8 {
		t.Errorf("queue drops: batches %d flows %d total %d, want 2 8 8", s.QueueFullBatches, s.DropsQueueFull, s.DroppedFlows)
	}
	// Both queues full: EnqueueWait waits, one wait counted; a cancel drops
	// both parts.
	cancel := make(chan struct{})
	res := make(chan bool)
	go func() { res <- i.EnqueueWait(recs(1, 1), cancel) }()
	testwait.For(t, "the batch waiting", func() bool { return i.Snapshot().QueueWaits == 1 })
	close(cancel)
	if <-res {
		t.Error("cancelled EnqueueWait reported success")
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	// Running: a wait ends when the shard takes the batch.
	if !i.EnqueueWait(recs(3, 3), nil) {
		t.Error("EnqueueWait refused on a running interface")
	}
	i.Do(func(*Tables) {})
	s = i.Snapshot()
	if s.FlowRecords != 2+2+6 || s.QueueWaits != 1 || s.QueueFullBatches != 3 || s.DropsQueueFull != 10 {
		t.Errorf("records %d waits %d full batches %d queue_full %d, want 10 1 3 10", s.FlowRecords, s.QueueWaits, s.QueueFullBatches, s.DropsQueueFull)
	}
	per := i.ShardFlowRecords()
	if per[0]+per[1] != s.FlowRecords || per[0] != 2+3 || per[1] != 2+3 {
		t.Errorf("records per shard %v, want [5 5]", per)
	}
}

// BenchmarkShardedIngest: batches of 100 updates of 20,000 flows (512
// hosts) handed over with EnqueueWait and applied by the interface's
// goroutines, per record: the split, the queues and the shared-host lock
// included, the collector's decode not. The figure of a 2-core machine
// shared with other work is a lower bound of what more idle cores give.
func BenchmarkShardedIngest(b *testing.B) {
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprint(shards, "shards"), func(b *testing.B) {
			c := newClock()
			cfg := testConfig(c)
			cfg.Shards = shards
			e := New(cfg)
			i := e.AddInterface("bench", "zmq")
			if err := e.Start(); err != nil {
				b.Fatal(err)
			}
			defer e.Stop()
			keys, now := benchKeys(20_000), c.Unix()
			b.ReportAllocs()
			b.ResetTimer()
			for k := 0; k < b.N; {
				bt := i.NewBatch()
				for j := 0; j < 100 && k < b.N; j++ {
					fill(bt.AddFlow(), &keys[k%len(keys)], now)
					k++
				}
				i.EnqueueWait(bt, nil)
			}
			i.Do(func(*Tables) {})
			b.StopTimer()
			if s := i.Snapshot(); s.FlowRecords != uint64(b.N) {
				b.Fatalf("%d records applied, want %d", s.FlowRecords, b.N)
			}
		})
	}
}

// A Do inside a sharded Do's fn (a periodic script's host hook asking for
// interface data through another path) runs inline instead of waiting for
// the barrier it is part of; one from an observer sees its shard.
func TestShardedNestedDo(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.Shards = 2
	e := New(cfg)
	i := e.AddInterface("zmq0", "zmq")
	inner := make(chan int, 64)
	e.Observe(func(*Interface) FlowObserver {
		return &recorder{fn: func(ev FlowEvent, f *Flow, tb *Tables) {
			if ev == FlowNew {
				i.Do(func(t *Tables) { inner <- t.NumFlows() }) // inline, on the flow's shard
			}
		}}
	})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	b := i.NewBatch()
	b.Flows = append(b.Flows, shardRecs(i, 1, 3, c.Unix())...)
	i.EnqueueWait(b, nil) // applied in shard 1's goroutine
	nested := -1
	i.Do(func(t *Tables) {
		i.Do(func(t *Tables) { nested = t.NumFlows() })
	})
	if nested != 3 {
		t.Errorf("nested Do saw %d flows, want 3", nested)
	}
	close(inner)
	n := 0
	for got := range inner {
		n++
		if got != n { // shard 1's own flows, one more per FlowNew
			t.Errorf("observer's Do %d saw %d flows", n, got)
		}
	}
	if n != 3 {
		t.Errorf("%d FlowNew, want 3", n)
	}
}

// Flow IDs name their shard, also once a slot's generation wraps.
func TestShardedFlowIDs(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.Shards = 3
	i := newIface(t, cfg)
	now := c.Unix()
	for k := range 3 {
		process(i, shardRecs(i, k, 2, now)...)
	}
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool {
			if k := int(f.ID()>>32) % 3; tb.shards[k] != tb.shardOfFlow(f) || tb.shards[k].Flow(f.ID()) != f || tb.Flow(f.ID()) != f {
				t.Errorf("flow %x not found through its shard %d", f.ID(), k)
			}
			return true
		})
		s := tb.shards[1]
		var f *Flow
		s.Flows(func(x *Flow) bool { f = x; return false })
		slot := f.slot
		f.gen = ^uint32(0) - 2 // 2^32-3 ≡ 1 (mod 3); +3 wraps to 0
		s.lockHosts()
		s.endFlow(f, slot, 0, false)
		s.unlockHosts()
		if g := s.flow(slot).gen; g%3 != 1 {
			t.Errorf("generation after the wrap %d, not shard 1's residue", g)
		}
	})
}
