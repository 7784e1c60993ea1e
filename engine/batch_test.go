package engine

import "testing"

// TestFreeListCoversQueue: every batch a full queue held comes back from
// NewBatch once recycled (no fresh 85 KB batch in steady state), for 1 and
// 2 shards.
func TestFreeListCoversQueue(t *testing.T) {
	for _, shards := range []int{1, 2} {
		cfg := testConfig(newClock())
		cfg.Shards, cfg.QueueLen = shards, 16
		i := New(cfg).AddInterface("free", "zmq")
		n := freeBatches(New(cfg).Config())
		if n < cfg.QueueLen+shards+1 {
			t.Fatalf("%d shards: free list of %d batches is shorter than what can be in flight", shards, n)
		}
		held := map[*Batch]bool{}
		var bs []*Batch
		for range n {
			b := i.NewBatch()
			b.AddFlow().InBytes = 1
			bs = append(bs, b)
			held[b] = true
		}
		for _, b := range bs {
			i.Recycle(b)
		}
		for k := range n {
			b := i.NewBatch()
			if !held[b] {
				t.Fatalf("%d shards: batch %d of %d is fresh, want a recycled one", shards, k, n)
			}
			if len(b.Flows) != 0 || cap(b.Flows) == 0 {
				t.Fatalf("%d shards: recycled batch has %d flows, capacity %d", shards, len(b.Flows), cap(b.Flows))
			}
		}
	}
}
