package engine

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// flowIndex maps canonical flow keys to flow slots. It is an open-addressing
// table of 8-byte entries (32-bit hash tag, slot+1) with linear probing and
// backward-shift deletion: the key itself lives in the Flow, so a lookup
// touches one index word and the flow it needs anyway, and the index costs
// 11–21 bytes per flow instead of a Go map's ~75.
//
// The home position is the tag's top bits, so growing needs no rehash of keys.
// The hash is seeded per table against crafted collisions.
type flowIndex struct {
	ents []uint64 // 0 = empty, else tag<<32 | slot+1
	n    int
	bits uint // len(ents) == 1<<bits
	seed [3]uint64
}

const flowIndexMinBits = 10

func newFlowIndex() flowIndex {
	return flowIndex{
		ents: make([]uint64, 1<<flowIndexMinBits),
		bits: flowIndexMinBits,
		seed: [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()},
	}
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (x *flowIndex) hash(k *flowKey) uint32 {
	le := binary.LittleEndian
	rest := uint64(k.pa) | uint64(k.pb)<<16 | uint64(k.vlan)<<32 | uint64(k.proto)<<48
	h := mum(le.Uint64(k.a[:8])^x.seed[0], le.Uint64(k.a[8:])^0xa0761d6478bd642f) ^
		mum(le.Uint64(k.b[:8])^x.seed[1], le.Uint64(k.b[8:])^0xe7037ed1a0b428db) ^
		mum(rest^x.seed[2], uint64(k.priv)^0x8ebc6af09c88c6e3)
	return uint32(mum(h, 0x589965cc75374cc3) >> 32)
}

func (x *flowIndex) home(tag uint32) uint64 { return uint64(tag) >> (32 - x.bits) }

func (x *flowIndex) mask() uint64 { return uint64(len(x.ents) - 1) }

func (x *flowIndex) insert(tag uint32, slot uint32) {
	if (x.n+1)*4 > len(x.ents)*3 {
		x.grow()
	}
	x.put(uint64(tag)<<32 | uint64(slot+1))
	x.n++
}

func (x *flowIndex) put(e uint64) {
	m := x.mask()
	i := x.home(uint32(e >> 32))
	for x.ents[i] != 0 {
		i = (i + 1) & m
	}
	x.ents[i] = e
}

func (x *flowIndex) grow() {
	old := x.ents
	x.bits++
	x.ents = make([]uint64, 1<<x.bits)
	for _, e := range old {
		if e != 0 {
			x.put(e)
		}
	}
}

// remove deletes the entry of slot (hashed to tag), shifting back the
// entries that follow so probes stay unbroken.
func (x *flowIndex) remove(tag uint32, slot uint32) {
	m := x.mask()
	want := uint64(tag)<<32 | uint64(slot+1)
	i := x.home(tag)
	for x.ents[i] != want {
		if x.ents[i] == 0 {
			return
		}
		i = (i + 1) & m
	}
	j := i
	for {
		j = (j + 1) & m
		e := x.ents[j]
		if e == 0 {
			break
		}
		h := x.home(uint32(e >> 32))
		// Move e back to the hole at i unless its home lies in (i, j].
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			x.ents[i] = e
			i = j
		}
	}
	x.ents[i] = 0
	x.n--
}

// sameKey tells whether f has key k (in either orientation).
func (f *Flow) sameKey(k *flowKey) bool {
	if f.vlan != k.vlan || f.proto != k.proto || f.privateID != k.priv {
		return false
	}
	if f.cliPort == k.pa && f.srvPort == k.pb && f.cli == k.a && f.srv == k.b {
		return true
	}
	return f.srvPort == k.pa && f.cliPort == k.pb && f.srv == k.a && f.cli == k.b
}

// lookup returns the slot of the flow with key k.
func (t *Tables) lookup(k *flowKey, tag uint32) (uint32, bool) {
	x := &t.flowIdx
	m := x.mask()
	for i := x.home(tag); ; i = (i + 1) & m {
		e := x.ents[i]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == tag {
			slot := uint32(e) - 1
			if t.flow(slot).sameKey(k) {
				return slot, true
			}
		}
	}
}
