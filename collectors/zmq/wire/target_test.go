package wire

import (
	"net/netip"
	"reflect"
	"testing"

	"flowgate/engine"
)

// TestSetTarget: records built in place equal the ones emitted without a
// target; a record cut short by an error only occupies the slot after the
// last emitted one, and no slot is wasted in between.
func TestSetTarget(t *testing.T) {
	var w TLVWriter
	w.Begin()
	for i := 0; i < 3; i++ {
		r := engine.FlowRecord{SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"),
			SrcPort: uint16(1000 + i), DstPort: 53, Proto: 17, InBytes: uint64(i + 1), DNSQuery: "example.org",
			Additional: []engine.Field{{Key: "57999", Value: "x"}}}
		EncodeTLVFlow(&w, &r)
	}
	w.buf = append(w.buf, 0x01) // an empty record: skipped
	good := len(w.Bytes())
	w.String(57677, "cut")
	body := w.Bytes()[:len(w.Bytes())-2] // the fourth record is truncated

	var want []engine.FlowRecord
	plain := NewDecoder(Config{})
	n, err := plain.DecodeTLVFlows(body, func(r *engine.FlowRecord) {
		c := *r
		c.Additional = append([]engine.Field(nil), r.Additional...)
		want = append(want, c)
	})
	if n != 3 || err == nil {
		t.Fatalf("plain decode: %d records, err %v", n, err)
	}

	var slots []engine.FlowRecord
	d := NewDecoder(Config{})
	d.SetTarget(func() *engine.FlowRecord {
		slots = append(slots, engine.FlowRecord{})
		r := &slots[len(slots)-1]
		r.Reset()
		return r
	})
	n, err = d.DecodeTLVFlows(body, func(*engine.FlowRecord) {})
	if n != 3 || err == nil {
		t.Fatalf("in-place decode: %d records, err %v", n, err)
	}
	if len(slots) != 4 {
		t.Fatalf("%d slots used, want 3 records and the unfinished one", len(slots))
	}
	if !reflect.DeepEqual(slots[:3], want) {
		t.Errorf("in-place records differ:\n%+v\n%+v", slots[:3], want)
	}
	// A complete message uses exactly one slot per record plus the one
	// opened after the last end of record.
	slots = slots[:0]
	if n, err := d.DecodeTLVFlows(body[:good], func(*engine.FlowRecord) {}); n != 3 || err != nil || len(slots) != 4 {
		t.Errorf("complete message: %d records, err %v, %d slots", n, err, len(slots))
	}
}
