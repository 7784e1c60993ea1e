package engine

import (
	"net/netip"
	"testing"
	"time"
)

// TestReadAndDo: Read runs before Start (in the caller) and on a running
// interface with batches queued (in the owner goroutine), seeing at most
// what was enqueued; a Do after it sees every batch enqueued before it
// (Read skipped none for good).
func TestReadAndDo(t *testing.T) {
	eng := New(DefaultConfiguration())
	i := eng.AddInterface("eth0", "zmq")
	n := -1
	i.Read(func(t *Tables) { n = t.NumFlows() })
	if n != 0 {
		t.Fatalf("Read before Start: %d flows, want 0", n)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	now := uint32(time.Now().Unix())
	const batches = 200
	for k := 0; k < batches; k++ {
		b := i.NewBatch()
		*b.AddFlow() = FlowRecord{SrcIP: netip.MustParseAddr("10.1.0.1"), DstIP: netip.MustParseAddr("10.1.0.2"),
			SrcPort: uint16(1024 + k), DstPort: 443, Proto: 6, InBytes: 100, InPkts: 1, FirstSwitched: now, LastSwitched: now}
		if !i.EnqueueWait(b, nil) {
			t.Fatalf("batch %d refused", k)
		}
	}
	n = -1
	i.Read(func(t *Tables) { n = t.NumFlows() })
	if n < 0 || n > batches {
		t.Fatalf("Read saw %d flows, want 0..%d", n, batches)
	}
	i.Do(func(t *Tables) { n = t.NumFlows() })
	if n != batches {
		t.Fatalf("Do after Read saw %d flows, want all %d enqueued", n, batches)
	}
}
