package engine

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"flowgate/internal/cputime"
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

// create processes one record for each of keys through r: the flows a
// benchmark starts from.
func create(t *Tables, r *FlowRecord, keys []benchKey, now uint32) {
	for k := range keys {
		fill(r, &keys[k], now)
		t.processFlow(r)
	}
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
			create(t, &r, keys, now)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for k := 0; k < b.N; k++ {
				fill(&r, &keys[k%n], now)
				t.processFlow(&r)
			}
			b.StopTimer()
			b.ReportMetric(cputime.PerOp(cpu0, cputime.Process, b.N), "cpu-ns/op")
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
	cpu0 := cputime.Process()
	for k := 0; k < b.N; k++ {
		if k%n == 0 && k > 0 {
			b.StopTimer()
			e0 := cputime.Process()
			t.endAll()
			cpu0 += cputime.Process() - e0 // not the cost of a new flow
			b.StartTimer()
		}
		fill(&r, &keys[k%n], now)
		t.processFlow(&r)
	}
	b.ReportMetric(cputime.PerOp(cpu0, cputime.Process, b.N), "cpu-ns/op")
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
	create(t, new(FlowRecord), keys, now)
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		t.scanFlows(n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/flow")
}

// TestMemoryPerFlow inserts flows into one shard's tables and checks the
// heap cost per active flow after a GC (issue 17: at most 200 bytes of RSS
// per flow with 1 M flows, of which the engine's tables are the bulk), and
// logs where the bytes are (docs/ingest-scaling.md §5). 250,000 flows fill
// the index as 1 M do (2^19 slots instead of 2^21).
func TestMemoryPerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 1M flows")
	}
	if testShards > 1 {
		t.Skip("measures one shard's tables: once is enough")
	}
	names := make([]string, 64)
	for k := range names {
		names[k] = "host" + strconv.Itoa(k) + ".example.com"
	}
	for _, tc := range []struct {
		name string
		n    int
		v6   bool
		dns  bool // one flow in 4 carries one of 64 DNS queries, as the emulator's DNS flows do
		max  float64
	}{
		{"ipv4 1M", 1_000_000, false, false, 200},
		{"ipv4 DNS queries", 250_000, false, true, 210},
		{"ipv6", 250_000, true, false, 230},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			cfg := testConfig(c)
			cfg.MaxFlows, cfg.MaxHosts = tc.n, tc.n
			keys, now := benchKeys(tc.n), c.Unix()
			if tc.v6 {
				for k := range keys {
					keys[k].src = netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 15: keys[k].src.As4()[3]})
					keys[k].dst = netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 2: 1, 15: keys[k].dst.As4()[2]})
				}
			}
			var r FlowRecord
			debug.FreeOSMemory() // a GC, and what an earlier case freed goes back: RSS growth is this case's
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rss0 := rss()
			i := New(cfg).AddInterface("mem", "zmq")
			tb := i.tables
			for k := range keys {
				fill(&r, &keys[k], now)
				if tc.dns && k%4 == 0 {
					r.DNSQuery = names[k%len(names)]
				}
				tb.processFlow(&r)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			rss1 := rss()
			if tb.NumFlows() != tc.n {
				t.Fatalf("%d flows, want %d", tb.NumFlows(), tc.n)
			}
			n := float64(tc.n)
			perFlow := float64(after.HeapAlloc-before.HeapAlloc) / n
			chunks, v6 := 0, 0
			for _, ch := range tb.flowChunks {
				chunks += int(unsafe.Sizeof(*ch)) + 8*cap(ch.sides) + 2*cap(ch.sideFree)
				if ch.v6 != nil {
					v6 += int(unsafe.Sizeof(*ch.v6))
				}
			}
			sides := 0
			tb.Flows(func(f *Flow) bool {
				if f.side() != nil {
					sides++
				}
				return true
			})
			idx := 8 * (len(tb.flowIdx.ents) + len(tb.flowIdx.old))
			t.Logf("heap %.0f B/flow, RSS growth %.0f B/flow: Flow %d B; chunks with side indexes %.1f B/flow, "+
				"IPv6 addresses %.1f B/flow, index %.1f B/flow (%d slots, old table %d), side data of %d flows %.1f B/flow (flowSide %d B), %d hosts (Host %d B)",
				perFlow, float64(rss1-rss0)/n, unsafe.Sizeof(Flow{}), float64(chunks)/n, float64(v6)/n, float64(idx)/n,
				len(tb.flowIdx.ents), len(tb.flowIdx.old), sides, float64(sides*int(unsafe.Sizeof(flowSide{})))/n,
				unsafe.Sizeof(flowSide{}), tb.NumHosts(), unsafe.Sizeof(Host{}))
			if perFlow > tc.max {
				t.Errorf("heap %.0f bytes per active flow, want <= %.0f", perFlow, tc.max)
			}
			runtime.KeepAlive(keys)
			if tc.n == 1_000_000 {
				// Time a full idle sweep for the README (not asserted).
				start := time.Now()
				tb.scanFlows(tc.n)
				t.Logf("full sweep of %d flows: %v", tc.n, time.Since(start))
			}
		})
	}
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

// BenchmarkProcessChurn: 1 M active flows at a constant count; each op ends
// the oldest flow and creates a new one (the steady state of a collector
// whose flows expire: index deletes and inserts, no growth).
func BenchmarkProcessChurn(b *testing.B) {
	const n = 1 << 20
	t, c := benchTables(b, n)
	keys, now := benchKeys(2*n), c.Unix()
	var r FlowRecord
	create(t, &r, keys[:n], now)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for k := 0; k < b.N; k++ {
		old := &keys[k%(2*n)]
		key, _ := makeKey(ptr16(old.src), ptr16(old.dst), old.sp, old.dp, 0, 17, 0)
		tag := t.flowIdx.hash(&key)
		slot, ok := t.lookup(&key, tag)
		if !ok {
			b.Fatalf("op %d: the oldest flow is not indexed", k)
		}
		t.endFlow(t.flow(slot), slot, tag, true)
		fill(&r, &keys[(k+n)%(2*n)], now)
		t.processFlow(&r)
	}
	b.StopTimer()
	b.ReportMetric(cputime.PerOp(cpu0, cputime.Process, b.N), "cpu-ns/op")
	if t.NumFlows() != n {
		b.Fatalf("%d flows, want %d", t.NumFlows(), n)
	}
}

// BenchmarkProcessBatchScattered: batches of 100 updates through Process
// at 4 M active flows, in an order that scatters them over the index and
// the slabs (as records of many flows from many exporters are), so that
// each record's index entry and flow miss the caches. cpu-ns/op is per
// record; against BenchmarkProcessUpdate (flows in index order) it is
// what cache and TLB misses cost (docs/ingest-scaling.md §4.3).
func BenchmarkProcessBatchScattered(b *testing.B) {
	const n = 1 << 22
	t, c := benchTables(b, n)
	keys, now := benchKeys(n), c.Unix()
	create(t, new(FlowRecord), keys, now)
	perm := rand.New(rand.NewPCG(1, 2)).Perm(n)
	batch := &Batch{}
	b.ResetTimer()
	cpu0 := cputime.Process()
	for k := 0; k < b.N; k += 100 {
		batch.Reset()
		for j := range 100 {
			fill(batch.AddFlow(), &keys[perm[(k+j)%n]], now)
		}
		t.Process(batch)
	}
	b.StopTimer()
	b.ReportMetric(cputime.PerOp(cpu0, cputime.Process, b.N), "cpu-ns/op")
}
