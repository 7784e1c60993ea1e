package lists

import (
	"math/bits"
	"slices"
	"sort"
)

// Address sets are kept as sorted, disjoint ranges of integers (IPv4 as
// uint32, IPv6 as a 128-bit pair), each carrying the index of the list it
// came from. CIDR blocks are nested or disjoint, so flattening them gives
// at most two ranges per block, and the innermost block wins where they
// nest (a /32 listed by one list inside a /16 of another is the /32's).

// keyT is what a range bound needs: order, neighbours and the top.
type keyT[K any] interface {
	comparable
	less(K) bool
	succ() K
	pred() K
	isMax() bool
}

type u32 uint32

func (a u32) less(b u32) bool { return a < b }
func (a u32) succ() u32       { return a + 1 }
func (a u32) pred() u32       { return a - 1 }
func (a u32) isMax() bool     { return a == ^u32(0) }

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }
func (a u128) succ() u128 {
	lo, c := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + c, lo}
}
func (a u128) pred() u128 {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - b, lo}
}
func (a u128) isMax() bool { return a.hi == ^uint64(0) && a.lo == ^uint64(0) }

// span is one listed block [lo, hi] of list val.
type span[K keyT[K]] struct {
	lo, hi K
	val    uint16
}

// flatten turns listed blocks into sorted disjoint ranges. Blocks must be
// nested or disjoint (CIDRs are); an exact duplicate keeps the lowest
// list index (the first list loaded).
func flatten[K keyT[K]](in []span[K]) []span[K] {
	slices.SortFunc(in, func(a, b span[K]) int {
		switch {
		case a.lo.less(b.lo):
			return -1
		case b.lo.less(a.lo):
			return 1
		case b.hi.less(a.hi): // the larger block first
			return -1
		case a.hi.less(b.hi):
			return 1
		}
		return int(a.val) - int(b.val) // the same block: lists load in order, the first wins
	})
	out := make([]span[K], 0, len(in)+len(in)/8)
	emit := func(lo, hi K, val uint16) {
		if hi.less(lo) {
			return
		}
		if n := len(out); n > 0 && out[n-1].val == val && !out[n-1].hi.isMax() && out[n-1].hi.succ() == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, span[K]{lo, hi, val})
	}
	var stack []span[K]
	var pos K
	for _, s := range in {
		for len(stack) > 0 && stack[len(stack)-1].hi.less(s.lo) {
			top := stack[len(stack)-1]
			emit(pos, top.hi, top.val)
			pos = top.hi.succ() // top.hi < s.lo: not the maximum
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.lo == s.lo && top.hi == s.hi {
				continue // listed twice: the first list keeps it
			}
			if pos.less(s.lo) {
				emit(pos, s.lo.pred(), top.val)
			}
		}
		pos = s.lo
		stack = append(stack, s)
	}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		emit(pos, top.hi, top.val)
		if top.hi.isMax() {
			break
		}
		pos = top.hi.succ()
		stack = stack[:len(stack)-1]
	}
	return out
}

// v4Table is the IPv4 ranges, one record each (a look-up reads start, end
// and list from the same cache line), with a first-level index on the top
// 16 bits: a look-up is one index read and a binary search over the few
// ranges that start in the address's /16.
type v4Table struct {
	r []v4Range
	// lows is the low 16 bits of each range's start: the binary search in
	// a bucket (whose starts share their high 16 bits) reads this dense
	// array, usually one cache line, and only the result's record.
	lows []uint16
	idx  []uint32 // 65537 entries: idx[h] = ranges starting before h<<16
}

type v4Range struct {
	start, end uint32
	val        uint16
}

func newV4Table(spans []span[u32]) v4Table {
	t := v4Table{r: make([]v4Range, len(spans)), lows: make([]uint16, len(spans))}
	for i, s := range spans {
		t.r[i] = v4Range{uint32(s.lo), uint32(s.hi), s.val}
		t.lows[i] = uint16(s.lo)
	}
	if len(spans) == 0 {
		return t
	}
	t.idx = make([]uint32, 1<<16+1)
	j := 0
	for h := 0; h <= 1<<16; h++ {
		for j < len(t.r) && uint64(t.r[j].start) < uint64(h)<<16 {
			j++
		}
		t.idx[h] = uint32(j)
	}
	return t
}

// lookup returns the list index of a's range.
func (t *v4Table) lookup(a uint32) (uint16, bool) {
	if len(t.idx) == 0 {
		return 0, false
	}
	h := a >> 16
	lo, hi := int(t.idx[h]), int(t.idx[h+1])
	lows, low := t.lows[lo:hi], uint16(a)
	// the last range of the bucket starting at or before a
	i, n := 0, len(lows)
	for i < n {
		m := int(uint(i+n) >> 1)
		if lows[m] <= low {
			i = m + 1
		} else {
			n = m
		}
	}
	j := lo + i - 1 // lo-1: the last range starting in an earlier bucket
	if j < 0 || t.r[j].end < a {
		return 0, false
	}
	return t.r[j].val, true
}

// lookup2 is lookup of two addresses with their memory reads interleaved,
// so the cache misses of one overlap those of the other.
func (t *v4Table) lookup2(a, b uint32) (va uint16, oka bool, vb uint16, okb bool) {
	if len(t.idx) == 0 {
		return
	}
	ha, hb := a>>16, b>>16
	loA, hiA, loB, hiB := int(t.idx[ha]), int(t.idx[ha+1]), int(t.idx[hb]), int(t.idx[hb+1])
	la, lb := t.lows[loA:hiA], t.lows[loB:hiB]
	lowA, lowB := uint16(a), uint16(b)
	ia, na, ib, nb := 0, len(la), 0, len(lb)
	for ia < na || ib < nb {
		if ia < na {
			if m := int(uint(ia+na) >> 1); la[m] <= lowA {
				ia = m + 1
			} else {
				na = m
			}
		}
		if ib < nb {
			if m := int(uint(ib+nb) >> 1); lb[m] <= lowB {
				ib = m + 1
			} else {
				nb = m
			}
		}
	}
	ja, jb := loA+ia-1, loB+ib-1
	if ja >= 0 && t.r[ja].end >= a {
		va, oka = t.r[ja].val, true
	}
	if jb >= 0 && t.r[jb].end >= b {
		vb, okb = t.r[jb].val, true
	}
	return
}

func (t *v4Table) size() int { return len(t.r) }

func (t *v4Table) bytes() int { return len(t.r)*14 + len(t.idx)*4 }

// v6Table is the IPv6 ranges, searched directly (IPv6 lists are short).
type v6Table struct{ spans []span[u128] }

func (t *v6Table) lookup(a u128) (uint16, bool) {
	i := sort.Search(len(t.spans), func(i int) bool { return a.less(t.spans[i].lo) }) - 1
	if i < 0 || t.spans[i].hi.less(a) {
		return 0, false
	}
	return t.spans[i].val, true
}
