package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"flowgate/engine"
)

func FuzzParseHeader(f *testing.F) {
	for _, n := range []string{"synthetic_v1_json_zlib.header.hex", "synthetic_v3_tlv_flow_dns.header.hex", "synthetic_v3_tlv_zlib.header.hex"} {
		f.Add(readHex(f, n))
	}
	f.Add(AppendHeaderV0(nil, "event", 2, 0))
	f.Add(AppendHeaderV2(nil, "counter", 3, 0, 1, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if Reason(err) == "other" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// v0 takes any u32 version (ntopng checks none); others reject > 4.
		if h.Len != len(b) || (h.Len != HeaderV0Len && h.Version > 4) {
			t.Fatalf("header %+v for %d bytes", h, len(b))
		}
		// Re-encoding a v3 header reproduces it (except padding bytes).
		if h.Len == HeaderV3Len && h.Version == VersionV3 && bytes.IndexByte(b[:16], 0) >= 0 {
			re := AppendHeaderV3(nil, h.Topic, h.Flags, h.UncompressedSize, h.CompressedSize, h.MsgID, h.SourceID)
			h2, err := ParseHeader(re)
			if err != nil || h2 != h {
				t.Fatalf("round trip %+v → %+v (%v)", h, h2, err)
			}
		}
	})
}

func FuzzDecodeTLV(f *testing.F) {
	f.Add(readHex(f, "synthetic_tlv_flow_dns.payload.hex"))
	f.Add(readHex(f, "synthetic_tlv_misc_two_records.payload.hex"))
	var w TLVWriter
	w.Begin()
	flows := realisticFlows(2)
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	f.Add(append([]byte{}, w.Bytes()...))
	w.Begin()
	w.StringKeyString("IPV4_SRC_ADDR", "10.1.2.3")
	w.Int(57595, -5)
	w.Float(57596, 1.5)
	w.StringKeyUint("MY_FIELD", 70000)
	w.EndRecord()
	w.String(57677, "cut")
	f.Add(append([]byte{}, w.Bytes()[:w.Len()-1]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(Config{})
		var recs []engine.FlowRecord
		got, err := d.DecodeTLVFlows(b, func(r *engine.FlowRecord) { recs = append(recs, cloneRecord(r)) })
		if got != len(recs) {
			t.Fatalf("returned %d, emitted %d", got, len(recs))
		}
		if err != nil && Reason(err) == "other" {
			t.Fatalf("untyped error %v", err)
		}
		// The fast path decodes exactly like the generic item reader alone:
		// same records, same error (reason and position).
		var ref []engine.FlowRecord
		refN, refErr := decodeTLVGeneric(NewDecoder(Config{}), b, func(r *engine.FlowRecord) { ref = append(ref, cloneRecord(r)) })
		if refN != got || fmt.Sprintf("%+v", ref) != fmt.Sprintf("%+v", recs) { // Sprintf: NaN latencies compare equal
			t.Fatalf("fast path: %d records %+v\ngeneric: %d records %+v", got, recs, refN, ref)
		}
		if fmt.Sprint(err) != fmt.Sprint(refErr) || Reason(err) != Reason(refErr) {
			t.Fatalf("fast path error %v (%s), generic %v (%s)", err, Reason(err), refErr, Reason(refErr))
		}
		sameAgain(t, d, FormatTLV, b, recs, err)
		if it, err := NewTLVIterator(b); err == nil {
			for {
				if _, ok := it.Next(); !ok {
					break
				}
			}
		}
		DecodeTLVCounter(b)
	})
}

// sameAgain decodes b a second time with d, whose key memo the first decode
// filled: the memo only saves work, so records and error must not change.
// want nil: compare with what a fresh decoder gives.
func sameAgain(t *testing.T, d *Decoder, f Format, b []byte, want []engine.FlowRecord, wantErr error) {
	t.Helper()
	if want == nil {
		want, _ = decodeAll(t, NewDecoder(Config{}), f, b)
	}
	got, err := decodeAll(t, d, f, b)
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("second decode with a warm key memo differs:\n%+v %v\n%+v %v", got, err, want, wantErr)
	}
}

// decodeTLVGeneric is DecodeTLVFlows without its fast path: every item
// through the generic reader (tlvItem).
func decodeTLVGeneric(d *Decoder, body []byte, emit func(*engine.FlowRecord)) (int, error) {
	d.newMessage()
	var it TLVIterator
	if err := it.reset(body); err != nil {
		return 0, err
	}
	d.resetRecord()
	records, items := 0, 0
	for it.off < len(body) {
		if done, err := d.tlvItem(&it, &items, &records, emit); done {
			return records, err
		}
	}
	return records, nil
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(readFile(f, "synthetic_json_flow_numeric_keys.json"))
	f.Add([]byte(`{"IPV4_SRC_ADDR":"1.2.3.4","57590":"7.178","x":[1,{"a":"\ud83d\ude00"}],"1":1.5e3,"2":-0}`))
	f.Add([]byte(`[{"35632.118":5,"FOO":true,"k\u00e9":null}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(Config{})
		n := 0
		got, err := d.DecodeJSONFlows(b, func(r *engine.FlowRecord) { n++ })
		if got != n {
			t.Fatalf("returned %d, emitted %d", got, n)
		}
		if err != nil && Reason(err) == "other" {
			t.Fatalf("untyped error %v", err)
		}
		sameAgain(t, d, FormatJSON, b, nil, err)
		// The scanner must never accept what encoding/json rejects.
		if err == nil && !jsonValid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		DecodeEvent(b, 0)
		DecodeJSONCounter(b)
	})
}

func FuzzOpenPayload(f *testing.F) {
	f.Add(uint8(FlagTLV|FlagCompressed), uint8(4), readHex(f, "synthetic_tlv_flow_dns.zlib.hex"))
	f.Add(uint8(0), uint8(2), readHex(f, "synthetic_v1_json_zlib.payload.hex"))
	f.Add(uint8(FlagTLV), uint8(4), readHex(f, "synthetic_tlv_flow_dns.payload.hex"))
	f.Fuzz(func(t *testing.T, flags, version uint8, payload []byte) {
		h := Header{Len: HeaderV3Len, Version: uint32(version % 5), Flags: flags}
		body, _, err := OpenPayload(h, payload, nil, 1<<16)
		if err != nil {
			if Reason(err) == "other" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(body) > 1<<16 {
			t.Fatalf("body of %d bytes over the cap", len(body))
		}
	})
}

func jsonValid(b []byte) bool {
	// Trailing NULs are accepted on purpose (C producers).
	return json.Valid(bytes.TrimRight(b, "\x00"))
}
