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
//
// Growth is incremental, so that no batch pays for moving millions of
// entries at once: the doubled table takes new entries while each insert
// moves migrateStep slots of the previous table, which stays searchable
// until it is empty. Moved or removed entries of the previous table become
// tombstones (probe chains stay unbroken there).
type flowIndex struct {
	ents []uint64 // 0 = empty, else tag<<32 | slot+1
	n    int      // entries in ents and old
	bits uint     // len(ents) == 1<<bits
	seed keySeed

	old     []uint64 // previous table while migrating, else nil
	oldBits uint
	cursor  int // next slot of old to move
}

// tomb marks a moved or removed entry of the previous table. No live entry
// has this value: slot+1 == 1<<32-1 would need 2^32-2 flows.
const tomb = ^uint64(0)

// migrateStep is the number of old slots each insert moves: the previous
// table (L slots, 3/4 full when growth began) is empty after L/8 inserts,
// long before the new one (2L slots) reaches 3/4 after 3L/4 inserts. 8
// rather than 4 halves the time both tables are held (at 1 M flows, the
// 8 MiB table of 2^20 slots was still there: 8 B per flow) and the time
// new flows' misses search both, for about 6 entry moves per insert.
const migrateStep = 8

const flowIndexMinBits = 10

func newFlowIndex() flowIndex {
	return flowIndex{
		ents: make([]uint64, 1<<flowIndexMinBits),
		bits: flowIndexMinBits,
		seed: newKeySeed(),
	}
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (x *flowIndex) hash(k *flowKey) uint32 { return x.seed.hash(k) }

// keySeed seeds the flow-key hash: one per flow index, against crafted
// collisions, and one per sharded interface to pick a flow's shard.
type keySeed [3]uint64

func newKeySeed() keySeed { return keySeed{rand.Uint64(), rand.Uint64(), rand.Uint64()} }

func (s *keySeed) hash(k *flowKey) uint32 {
	le := binary.LittleEndian
	rest := uint64(k.pa) | uint64(k.pb)<<16 | uint64(k.vlan)<<32 | uint64(k.proto)<<48
	h := mum(le.Uint64(k.a[:8])^s[0], le.Uint64(k.a[8:])^0xa0761d6478bd642f) ^
		mum(le.Uint64(k.b[:8])^s[1], le.Uint64(k.b[8:])^0xe7037ed1a0b428db) ^
		mum(rest^s[2], uint64(k.priv)^0x8ebc6af09c88c6e3)
	return uint32(mum(h, 0x589965cc75374cc3) >> 32)
}

func (x *flowIndex) home(tag uint32) uint64 { return uint64(tag) >> (32 - x.bits) }

func (x *flowIndex) mask() uint64 { return uint64(len(x.ents) - 1) }

func (x *flowIndex) insert(tag uint32, slot uint32) {
	if x.old != nil {
		x.migrate(migrateStep)
	}
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

// grow starts moving to a table twice the size.
func (x *flowIndex) grow() {
	if x.old != nil { // cannot happen with migrateStep's margin; stay correct anyway
		x.migrate(len(x.old))
	}
	x.old, x.oldBits, x.cursor = x.ents, x.bits, 0
	x.bits++
	x.ents = make([]uint64, 1<<x.bits)
}

// migrate moves up to k slots of the previous table into the current one.
func (x *flowIndex) migrate(k int) {
	end := min(x.cursor+k, len(x.old))
	for i := x.cursor; i < end; i++ {
		if e := x.old[i]; e != 0 && e != tomb {
			x.put(e)
			x.old[i] = tomb
		}
	}
	x.cursor = end
	if end == len(x.old) {
		x.old = nil
	}
}

// oldHome is a tag's home in the previous table.
func (x *flowIndex) oldHome(tag uint32) uint64 { return uint64(tag) >> (32 - x.oldBits) }

// remove deletes the entry of slot (hashed to tag), shifting back the
// entries that follow so probes stay unbroken.
func (x *flowIndex) remove(tag uint32, slot uint32) {
	m := x.mask()
	want := uint64(tag)<<32 | uint64(slot+1)
	i := x.home(tag)
	for x.ents[i] != want {
		if x.ents[i] == 0 {
			x.removeOld(want, tag)
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

// removeOld turns the entry want of the previous table, if there, into a tombstone.
func (x *flowIndex) removeOld(want uint64, tag uint32) {
	if x.old == nil {
		return
	}
	m := uint64(len(x.old) - 1)
	for i := x.oldHome(tag); x.old[i] != 0; i = (i + 1) & m {
		if x.old[i] == want {
			x.old[i] = tomb
			x.n--
			return
		}
	}
}

// sameKey tells whether f has key k (in either orientation).
func (f *Flow) sameKey(k *flowKey) bool {
	if f.vlan != k.vlan || f.proto != k.proto || (f.flags&flowPriv != 0) != (k.priv != 0) ||
		k.priv != 0 && f.PrivateID() != k.priv {
		return false
	}
	if f.flags&flowV6 == 0 {
		if !isV4Mapped(&k.a) || !isV4Mapped(&k.b) {
			return false
		}
		a, b := [4]byte(k.a[12:]), [4]byte(k.b[12:])
		if f.cliPort == k.pa && f.srvPort == k.pb && f.cli4 == a && f.srv4 == b {
			return true
		}
		return f.srvPort == k.pa && f.cliPort == k.pb && f.srv4 == a && f.cli4 == b
	}
	p := f.v6Addrs()
	if p == nil {
		return false
	}
	if f.cliPort == k.pa && f.srvPort == k.pb && p[0] == k.a && p[1] == k.b {
		return true
	}
	return f.srvPort == k.pa && f.cliPort == k.pb && p[1] == k.a && p[0] == k.b
}

// lookup returns the slot of the flow with key k.
func (t *Tables) lookup(k *flowKey, tag uint32) (uint32, bool) {
	x := &t.flowIdx
	m := x.mask()
	for i := x.home(tag); ; i = (i + 1) & m {
		e := x.ents[i]
		if e == 0 {
			break
		}
		if uint32(e>>32) == tag {
			slot := uint32(e) - 1
			if t.flow(slot).sameKey(k) {
				return slot, true
			}
		}
	}
	if x.old == nil {
		return 0, false
	}
	m = uint64(len(x.old) - 1)
	for i := x.oldHome(tag); ; i = (i + 1) & m {
		e := x.old[i]
		if e == 0 {
			return 0, false
		}
		if e != tomb && uint32(e>>32) == tag {
			slot := uint32(e) - 1
			if t.flow(slot).sameKey(k) {
				return slot, true
			}
		}
	}
}

// entries counts the live entries of both tables (tests).
func (x *flowIndex) entries() int {
	n := 0
	for _, e := range x.ents {
		if e != 0 {
			n++
		}
	}
	for _, e := range x.old {
		if e != 0 && e != tomb {
			n++
		}
	}
	return n
}
