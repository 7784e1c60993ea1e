package packet

import (
	"math/rand/v2"
	"testing"
)

// TestFlowIndexAgainstMap inserts and removes random keys and compares with a map.
func TestFlowIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newFlowIndex()
	var flows []flow
	var free []int32
	ref := map[fkey]int32{}
	for step := range 200000 {
		var k fkey
		k.a[15], k.b[15] = byte(rng.IntN(40)), byte(rng.IntN(40))
		k.pa = uint16(rng.IntN(30))
		k.proto = 6
		i, ok := x.get(&k, flows)
		ri, rok := ref[k]
		if ok != rok || ok && i != ri {
			t.Fatalf("step %d: get %v %d, map %v %d", step, ok, i, rok, ri)
		}
		if ok {
			x.remove(i, flows)
			delete(ref, k)
			free = append(free, i)
			continue
		}
		var slot int32
		if n := len(free); n > 0 {
			slot, free = free[n-1], free[:n-1]
		} else {
			flows = append(flows, flow{})
			slot = int32(len(flows) - 1)
		}
		flows[slot].key = k
		x.put(&k, slot, flows)
		ref[k] = slot
		if x.n != len(ref) {
			t.Fatalf("step %d: n %d, map %d", step, x.n, len(ref))
		}
	}
}
