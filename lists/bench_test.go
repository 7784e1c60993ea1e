package lists

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"flowgate/internal/cputime"
)

// writeList writes n random entries to dir/name.txt, shaped like real IP
// blacklists: 9 in 10 single addresses, the rest /20-/30 networks.
func writeList(tb testing.TB, dir, name string, n int) {
	tb.Helper()
	f, err := os.Create(filepath.Join(dir, name+".txt"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(7, uint64(n)))
	fmt.Fprintf(w, "# %d generated entries\n", n)
	for i := 0; i < n; i++ {
		a := r.Uint32()
		if i%10 == 9 {
			fmt.Fprintf(w, "%d.%d.%d.%d/%d\n", byte(a>>24), byte(a>>16), byte(a>>8), byte(a), 20+r.IntN(11))
		} else {
			fmt.Fprintf(w, "%d.%d.%d.%d\n", byte(a>>24), byte(a>>16), byte(a>>8), byte(a))
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkMatchFlow1M: one MatchFlow (client, server, no name) per op
// against 1,000,000 IP/CIDR entries; half the flows hit a listed address.
// Reports the table's memory (bytes) and the heap it took.
func BenchmarkMatchFlow1M(b *testing.B) {
	dir := b.TempDir()
	writeList(b, dir, "big", 1_000_000)
	before := heapInUse()
	s := New(Configuration{Dir: dir, Poll: -1})
	if _, err := s.Reload(); err != nil {
		b.Fatal(err)
	}
	heap := heapInUse() - before
	at, took := s.Loaded()
	_ = at
	set := s.Current()
	// probe addresses: half taken from the list's ranges, half random
	r := rand.New(rand.NewPCG(3, 4))
	probes := make([]netip.Addr, 4096)
	for i := range probes {
		if i%2 == 0 {
			j := r.IntN(len(set.v4.r))
			probes[i] = netip.AddrFrom4(be4(set.v4.r[j].start))
		} else {
			probes[i] = netip.AddrFrom4(be4(r.Uint32()))
		}
	}
	cli := netip.MustParseAddr("10.1.2.3")
	b.ReportMetric(float64(set.MemBytes()), "table-bytes")
	b.ReportMetric(float64(heap), "heap-bytes")
	b.ReportMetric(took.Seconds(), "load-s")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	c0 := int64(cputime.Thread())
	for i := 0; i < b.N; i++ {
		s.MatchFlow(cli, probes[i&4095], "")
	}
	// On a shared machine wall time counts the waits for a core; the
	// thread's own CPU time per op does not.
	b.ReportMetric(float64(int64(cputime.Thread())-c0)/float64(b.N), "cpu-ns/op")
}

func be4(v uint32) [4]byte { return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// BenchmarkLoad10M loads one list of 10,000,000 entries (the bad
// input): it reports the load time and the memory the loaded set keeps.
func BenchmarkLoad10M(b *testing.B) {
	dir := b.TempDir()
	writeList(b, dir, "huge", 10_000_000)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		c0 := int64(cputime.Process())
		s := New(Configuration{Dir: dir, Poll: -1})
		if _, err := s.Reload(); err != nil {
			b.Fatal(err)
		}
		_, took := s.Loaded()
		b.ReportMetric(took.Seconds(), "load-s")
		b.ReportMetric(float64(int64(cputime.Process())-c0)/1e9, "load-cpu-s")
		b.ReportMetric(float64(heapInUse()-before), "heap-bytes")
		b.ReportMetric(float64(s.Current().MemBytes()), "table-bytes")
		b.ReportMetric(float64(s.Current().v4.size()), "ranges")
		runtime.KeepAlive(s)
	}
}
