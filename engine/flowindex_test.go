package engine

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFlowIndexAgainstMap churns flows through the tables (creation, idle
// purge, re-creation) and checks every live flow is found by its key and the
// index holds exactly the live flows, across growth and backward-shift deletes.
func TestFlowIndexAgainstMap(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.MaxFlows, cfg.MaxHosts = 1<<20, 1<<20
	tb := New(cfg).AddInterface("idx", "zmq").tables
	rng := rand.New(rand.NewPCG(7, 9))
	keys := benchKeys(5000)
	live := map[int]bool{}
	var r FlowRecord
	for round := range 40 {
		for range 3000 {
			k := rng.IntN(len(keys))
			fill(&r, &keys[k], c.Unix())
			tb.processFlow(&r)
			live[k] = true
		}
		if round%3 == 2 { // everything idle: purge it all
			c.Add(61 * time.Second)
			tb.setNow(c.Now())
			tb.scanFlows(1 << 30)
			clear(live)
		}
		if tb.NumFlows() != len(live) {
			t.Fatalf("round %d: %d flows indexed, want %d", round, tb.NumFlows(), len(live))
		}
		for k := range live {
			key, _ := makeKey(ptr16(keys[k].src), ptr16(keys[k].dst), keys[k].sp, keys[k].dp, 0, 17, 0)
			if _, ok := tb.lookup(&key, tb.flowIdx.hash(&key)); !ok {
				t.Fatalf("round %d: flow %d not found", round, k)
			}
		}
		used := 0
		for _, e := range tb.flowIdx.ents {
			if e != 0 {
				used++
			}
		}
		if used != len(live) {
			t.Fatalf("round %d: %d index entries, want %d", round, used, len(live))
		}
	}
}

func ptr16(a interface{ As16() [16]byte }) *[16]byte {
	b := a.As16()
	return &b
}
