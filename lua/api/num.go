package api

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// numAlloc turns numbers into lua.LValue without a heap allocation per
// number: storing a float64 in an interface normally allocates 8 bytes, which
// would be most of a getter's cost. Like gopher-lua's own VM, it hands out
// slots of a block of floats (one allocation per numBlock numbers) and
// shares the values 0..127. A block stays alive while any of its numbers is
// referenced.
type numAlloc struct {
	block []float64
}

const numBlock = 512

var smallNums [128]lua.LValue

func init() {
	for i := range smallNums {
		smallNums[i] = lua.LNumber(i)
	}
}

// eface is the layout of a non-empty interface value.
type eface struct {
	itab unsafe.Pointer
	data unsafe.Pointer
}

var numItab = func() unsafe.Pointer {
	var v lua.LValue = lua.LNumber(1.5)
	return (*eface)(unsafe.Pointer(&v)).itab
}()

func (a *numAlloc) value(f float64) lua.LValue {
	if f >= 0 && f < 128 && f == float64(int(f)) {
		return smallNums[int(f)]
	}
	if len(a.block) == cap(a.block) {
		a.block = make([]float64, 0, numBlock)
	}
	a.block = append(a.block, f)
	var v lua.LValue
	e := (*eface)(unsafe.Pointer(&v))
	e.itab = numItab
	e.data = unsafe.Pointer(&a.block[len(a.block)-1])
	return v
}

func (b *binding) pushNum(L *lua.LState, f float64) { L.Push(b.num.value(f)) }
func (b *binding) pushI(L *lua.LState, i int64)     { L.Push(b.num.value(float64(i))) }
func (b *binding) n(f float64) lua.LValue           { return b.num.value(f) }
