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
		// Both tables while a growth is migrating.
		if used := tb.flowIdx.entries(); used != len(live) {
			t.Fatalf("round %d: %d index entries, want %d", round, tb.flowIdx.entries(), len(live))
		}
	}
}

func ptr16(a interface{ As16() [16]byte }) *[16]byte {
	b := a.As16()
	return &b
}

// has tells whether entry e is in either table, searching from its home as
// lookup does (a broken probe chain fails it).
func (x *flowIndex) has(e uint64) bool {
	tag := uint32(e >> 32)
	for i, m := x.home(tag), x.mask(); x.ents[i] != 0; i = (i + 1) & m {
		if x.ents[i] == e {
			return true
		}
	}
	if x.old == nil {
		return false
	}
	for i, m := x.oldHome(tag), uint64(len(x.old)-1); x.old[i] != 0; i = (i + 1) & m {
		if x.old[i] == e {
			return true
		}
	}
	return false
}

// TestFlowIndexIncrementalGrowth inserts and removes entries while the
// index grows from 2^10 to 2^17 slots: every live entry stays reachable
// from its home in one of the two tables, removed ones are gone, and
// migrations finish (no previous table left once the index is quiet).
func TestFlowIndexIncrementalGrowth(t *testing.T) {
	x := newFlowIndex()
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[uint32]uint32{} // slot → tag
	var next uint32
	migrating, removedOld := 0, 0
	for step := range 120_000 {
		if step%5 == 4 && len(live) > 0 { // remove one in five
			for slot, tag := range live {
				inOld := x.old != nil && !x.hasNew(uint64(tag)<<32|uint64(slot+1))
				x.remove(tag, slot)
				delete(live, slot)
				if inOld {
					removedOld++
				}
				if x.has(uint64(tag)<<32 | uint64(slot+1)) {
					t.Fatalf("step %d: removed entry of slot %d still found", step, slot)
				}
				break
			}
			continue
		}
		tag := rng.Uint32()
		x.insert(tag, next)
		live[next] = tag
		next++
		if x.old != nil {
			migrating++
		}
		if step%997 == 0 {
			for slot, tag := range live {
				if !x.has(uint64(tag)<<32 | uint64(slot+1)) {
					t.Fatalf("step %d: entry of slot %d lost (migrating %v)", step, slot, x.old != nil)
				}
			}
			if x.n != len(live) || x.entries() != len(live) {
				t.Fatalf("step %d: n %d entries %d, want %d", step, x.n, x.entries(), len(live))
			}
		}
	}
	if migrating == 0 || removedOld == 0 {
		t.Fatalf("the test never exercised a migration (%d inserts during one, %d removes from the old table)", migrating, removedOld)
	}
	if x.bits < 17 {
		t.Fatalf("index grew to 2^%d only", x.bits)
	}
}

func (x *flowIndex) hasNew(e uint64) bool {
	for i, m := x.home(uint32(e>>32)), x.mask(); x.ents[i] != 0; i = (i + 1) & m {
		if x.ents[i] == e {
			return true
		}
	}
	return false
}
