package wire

import (
	"fmt"
	"testing"

	"flowgate/engine"
)

// applyRef is the PEN resolution of §3.4 written plainly, one table after
// the other: the one-lookup keyDefs of apply must agree with it for every id.
func applyRef(d *Decoder, r *engine.FlowRecord, pen, id uint32, v *value) bool {
	if v.kind == kindRaw {
		return false
	}
	switch pen {
	case 0:
		if id < pen0Max {
			if h := pen0Fields[id].set; h != nil && h(d, r, v) {
				return true
			}
		}
	case NtopPEN:
	default:
		return false
	}
	if id < NtopBaseID {
		id += NtopBaseID
	}
	if i := id - NtopBaseID; i < ntopMax {
		if h := ntopFields[i].set; h != nil {
			return h(d, r, v)
		}
	}
	return false
}

func TestApplyMatchesPENResolution(t *testing.T) {
	values := []value{
		{kind: kindUint, u: 7},
		{kind: kindInt, i: -3},
		{kind: kindFloat, f: 2.5},
		{kind: kindString, s: "10.1.2.3"},
		{kind: kindString, s: "0"},
		{kind: kindString, s: "aa:bb:cc:dd:ee:ff"},
		{kind: kindRaw, s: "true"},
	}
	d := NewDecoder(Config{})
	for _, pen := range []uint32{0, NtopPEN, 9} {
		for id := uint32(0); id < NtopBaseID+ntopMax+10; id++ {
			if id == 1000 {
				id = NtopBaseID - 10 // nothing resolves in between
			}
			for _, v := range values {
				var got, want engine.FlowRecord
				got.Reset()
				want.Reset()
				v1, v2 := v, v
				g, w := apply(d, &got, pen, id, &v1), applyRef(d, &want, pen, id, &v2)
				if g != w || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("pen %d id %d value %+v: apply %v %+v, reference %v %+v", pen, id, v, g, got, w, want)
				}
			}
		}
	}
}
