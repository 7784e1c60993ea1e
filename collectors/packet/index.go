package packet

import (
	"encoding/binary"
	"math/bits"
)

// flowIndex maps flow keys to slots of tracker.flows: open addressing with
// linear probing and backward-shift deletion over int32 entries (slot+1, 0
// empty), keys compared against the flows themselves. It replaces a Go map
// whose generic hashing of the 40-byte key was the tracker's largest cost.
type flowIndex struct {
	tab  []int32
	mask uint32
	n    int
}

func newFlowIndex() *flowIndex {
	return &flowIndex{tab: make([]int32, 1024), mask: 1023}
}

// hashKey mixes the key's words (IPv4 addresses live in the low 8 bytes).
func hashKey(k *fkey) uint32 {
	const m = 0x9e3779b97f4a7c15
	h := binary.LittleEndian.Uint64(k.a[8:]) * m
	h ^= binary.LittleEndian.Uint64(k.b[8:])
	h = bits.RotateLeft64(h*m, 29)
	h ^= binary.LittleEndian.Uint64(k.a[:8]) ^ binary.LittleEndian.Uint64(k.b[:8])<<1
	h ^= uint64(k.pa)<<48 | uint64(k.pb)<<32 | uint64(k.vlan)<<16 | uint64(k.proto)
	h *= m
	return uint32(h >> 32)
}

func (x *flowIndex) get(k *fkey, flows []flow) (int32, bool) {
	for i := hashKey(k) & x.mask; ; i = (i + 1) & x.mask {
		e := x.tab[i]
		if e == 0 {
			return 0, false
		}
		if flows[e-1].key == *k {
			return e - 1, true
		}
	}
}

func (x *flowIndex) put(k *fkey, slot int32, flows []flow) {
	if (x.n+1)*2 > len(x.tab) {
		x.grow(flows)
	}
	i := hashKey(k) & x.mask
	for x.tab[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.tab[i] = slot + 1
	x.n++
}

func (x *flowIndex) grow(flows []flow) {
	old := x.tab
	x.tab = make([]int32, 2*len(old))
	x.mask = uint32(len(x.tab) - 1)
	for _, e := range old {
		if e != 0 {
			i := hashKey(&flows[e-1].key) & x.mask
			for x.tab[i] != 0 {
				i = (i + 1) & x.mask
			}
			x.tab[i] = e
		}
	}
}

// remove deletes slot's entry (the flow still holds its key).
func (x *flowIndex) remove(slot int32, flows []flow) {
	i := hashKey(&flows[slot].key) & x.mask
	for x.tab[i] != slot+1 {
		if x.tab[i] == 0 {
			return
		}
		i = (i + 1) & x.mask
	}
	// Backward shift: move later entries of the cluster into the hole when
	// their home position allows it.
	for j := (i + 1) & x.mask; x.tab[j] != 0; j = (j + 1) & x.mask {
		home := hashKey(&flows[x.tab[j]-1].key) & x.mask
		if (j-home)&x.mask >= (j-i)&x.mask {
			x.tab[i] = x.tab[j]
			i = j
		}
	}
	x.tab[i] = 0
	x.n--
}
