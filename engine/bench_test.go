package engine

import (
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

type benchKey struct {
	src, dst netip.Addr
	sp, dp   uint16
}

// benchKeys returns n distinct UDP endpoints pairs between 512 hosts (few
// hosts, many flows, as a collector sees them).
func benchKeys(n int) []benchKey {
	keys := make([]benchKey, n)
	for k := range keys {
		keys[k] = benchKey{
			src: netip.AddrFrom4([4]byte{10, 1, 0, byte(k)}),
			dst: netip.AddrFrom4([4]byte{10, 2, 0, byte(k >> 8)}),
			sp:  uint16(1024 + (k>>16)&0x3fff),
			dp:  uint16(k >> 8),
		}
	}
	return keys
}

// fill decodes key k into r the way a collector reuses one record: the
// record stays hot in cache, the flow table does not.
func fill(r *FlowRecord, k *benchKey, now uint32) {
	r.Reset()
	r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = k.src, k.dst, k.sp, k.dp
	r.Proto = 17
	r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = 1500, 2, 300, 1
	r.FirstSwitched, r.LastSwitched = now-10, now
	r.L7Set, r.L7App = true, 5
	r.InIfIndex, r.OutIfIndex = 1, 2
	r.SrcMAC = [6]byte{2, 0, 0, 0, 0, 1}
}

func benchTables(b *testing.B, maxFlows int) (*Tables, *fakeClock) {
	c := newClock()
	cfg := testConfig(c)
	cfg.MaxFlows, cfg.MaxHosts = maxFlows, maxFlows
	cfg.Shards = 1 // one shard's tables, used directly
	i := New(cfg).AddInterface("bench", "zmq")
	return i.tables, c
}

// BenchmarkProcessUpdate: one record for an existing flow (the steady state).
func BenchmarkProcessUpdate(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(strconv.Itoa(n)+"flows", func(b *testing.B) {
			t, c := benchTables(b, n)
			keys, now := benchKeys(n), c.Unix()
			var r FlowRecord
			for k := range keys {
				fill(&r, &keys[k], now)
				t.processFlow(&r)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				fill(&r, &keys[k%n], now)
				t.processFlow(&r)
			}
			b.StopTimer()
			if t.NumFlows() != n {
				b.Fatalf("%d flows, want %d", t.NumFlows(), n)
			}
		})
	}
}

// BenchmarkProcessNewFlows: every record creates a flow.
func BenchmarkProcessNewFlows(b *testing.B) {
	const n = 1 << 20
	t, c := benchTables(b, n)
	keys, now := benchKeys(n), c.Unix()
	var r FlowRecord
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		if k%n == 0 && k > 0 {
			b.StopTimer()
			t.endAll()
			b.StartTimer()
		}
		fill(&r, &keys[k%n], now)
		t.processFlow(&r)
	}
}

// BenchmarkProcessBatch: the interface path (Process on 64-record batches,
// clock read once per batch), per record.
func BenchmarkProcessBatch(b *testing.B) {
	const n = 100_000
	t, c := benchTables(b, n)
	keys, now := benchKeys(n), c.Unix()
	batch := &Batch{}
	for k := range keys {
		fill(batch.AddFlow(), &keys[k], now)
	}
	t.Process(batch)
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k += 64 {
		batch.Reset() // refilling is cheap and keeps the records hot, as a decoder does
		for j := range 64 {
			fill(batch.AddFlow(), &keys[(k+j)%n], now)
		}
		t.Process(batch)
	}
}

// BenchmarkIdleScan: one full sweep of 1M active flows (none idle), the
// work the 1 s tick spreads over scanBudget-sized slices.
func BenchmarkIdleScan(b *testing.B) {
	const n = 1 << 20
	t, c := benchTables(b, n)
	keys, now := benchKeys(n), c.Unix()
	var r FlowRecord
	for k := range keys {
		fill(&r, &keys[k], now)
		t.processFlow(&r)
	}
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		t.scanFlows(n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/flow")
}

// TestMemoryPerFlow inserts 1,000,000 flows and checks the heap cost per
// active flow (requirement: at most 400 bytes).
func TestMemoryPerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 1M flows")
	}
	if testShards > 1 {
		t.Skip("measures one shard's tables: once is enough")
	}
	const n = 1_000_000
	c := newClock()
	cfg := testConfig(c)
	cfg.MaxFlows, cfg.MaxHosts = n, n
	keys, now := benchKeys(n), c.Unix()
	var r FlowRecord
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := rss()
	i := New(cfg).AddInterface("mem", "zmq")
	tb := i.tables
	for k := range keys {
		fill(&r, &keys[k], now)
		tb.processFlow(&r)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	rss1 := rss()
	if tb.NumFlows() != n {
		t.Fatalf("%d flows, want %d", tb.NumFlows(), n)
	}
	perFlow := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("Flow %d B, FlowExtra %d B, Host %d B; heap %.0f B/flow, RSS growth %.0f B/flow (%d hosts)",
		unsafe.Sizeof(Flow{}), unsafe.Sizeof(FlowExtra{}), unsafe.Sizeof(Host{}), perFlow, float64(rss1-rss0)/n, tb.NumHosts())
	if perFlow > 400 {
		t.Errorf("heap %.0f bytes per active flow, want <= 400", perFlow)
	}
	runtime.KeepAlive(keys)
	// Time a full idle sweep for the README (not asserted).
	start := time.Now()
	tb.scanFlows(n)
	t.Logf("full sweep of %d flows: %v", n, time.Since(start))
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
