package wire

import (
	"bytes"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"flowgate/engine"
)

func TestTLVDNSVector(t *testing.T) {
	recs, err := decodeAll(t, NewDecoder(Config{}), FormatTLV, readHex(t, "synthetic_tlv_flow_dns.payload.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	if want := dnsFlow(); !reflect.DeepEqual(recs[0], want) {
		t.Errorf("\n got %+v\nwant %+v", recs[0], want)
	}
}

func TestJSONDNSVector(t *testing.T) {
	recs, err := decodeAll(t, NewDecoder(Config{}), FormatJSON, readFile(t, "synthetic_json_flow_numeric_keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !reflect.DeepEqual(recs[0], dnsFlow()) {
		t.Errorf("got %+v", recs)
	}
}

// TestMessagesEndToEnd runs header → payload → decoder for each vector pair.
func TestMessagesEndToEnd(t *testing.T) {
	for _, m := range [][2]string{
		{"synthetic_v3_tlv_flow_dns.header.hex", "synthetic_tlv_flow_dns.payload.hex"},
		{"synthetic_v3_tlv_zlib.header.hex", "synthetic_tlv_flow_dns.zlib.hex"},
		{"synthetic_v1_json_zlib.header.hex", "synthetic_v1_json_zlib.payload.hex"},
	} {
		h, err := ParseHeader(readHex(t, m[0]))
		if err != nil {
			t.Fatal(err)
		}
		body, f, err := OpenPayload(h, readHex(t, m[1]), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := decodeAll(t, NewDecoder(Config{}), f, body)
		if err != nil || len(recs) != 1 || !reflect.DeepEqual(recs[0], dnsFlow()) {
			t.Errorf("%s: %v %+v", m[1], err, recs)
		}
	}
}

func TestTLVMiscVectorItems(t *testing.T) {
	it, err := NewTLVIterator(readHex(t, "synthetic_tlv_misc_two_records.payload.hex"))
	if err != nil {
		t.Fatal(err)
	}
	want := []TLVItem{
		{KeyType: TLVString, KeyString: "IN_BYTES", Type: TLVUint16, Uint: 1500},
		{KeyType: TLVUint16, Key: 57677, Type: TLVString, String: "x"},
		{KeyType: TLVString, KeyString: "k", Type: TLVInt8, Int: -5},
		{KeyType: TLVUint8, Key: 9, Type: TLVInt64, Int: -5},
		{KeyType: TLVUint8, Key: 1, Type: TLVUint64, Uint: 1 << 32},
		{Type: TLVStartBlock, String: "blk"},
		{Type: TLVEndBlock},
		{Type: TLVEndOfRecord},
		{KeyType: TLVUint16, Key: 300, Type: TLVUint32, Uint: 70000},
		{Type: TLVEndOfRecord},
	}
	var got []TLVItem
	for {
		item, ok := it.Next()
		if !ok {
			break
		}
		got = append(got, item)
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestTLVMiscVectorFlowStopsAtBlock(t *testing.T) {
	recs, err := decodeAll(t, NewDecoder(Config{}), FormatTLV, readHex(t, "synthetic_tlv_misc_two_records.payload.hex"))
	if len(recs) != 0 {
		t.Errorf("emitted %d records; the block must drop the rest of the message", len(recs))
	}
	if Reason(err) != ReasonTLVValueType || !strings.Contains(err.Error(), "start_of_block") ||
		!strings.Contains(err.Error(), "record 1 item 6") {
		t.Errorf("err %v", err)
	}
}

func TestTLVWriterReproducesVectors(t *testing.T) {
	var w TLVWriter
	w.Begin()
	w.String(8, "192.168.1.10")
	w.String(12, "8.8.8.8")
	w.Uint(7, 53211)
	w.Uint(11, 53)
	w.Uint(4, 17)
	w.Uint(1, 74)
	w.Uint(2, 1)
	w.Uint(23, 90)
	w.Uint(24, 1)
	w.Uint(22, 1729766400)
	w.Uint(21, 1729766401)
	w.Uint(57590, 5)
	w.String(57677, "example.com")
	w.Float(57595, 1.5)
	w.EndRecord()
	if want := readHex(t, "synthetic_tlv_flow_dns.payload.hex"); !bytes.Equal(w.Bytes(), want) {
		t.Errorf("dns:\n got % x\nwant % x", w.Bytes(), want)
	}

	w.Begin()
	w.StringKeyUint("IN_BYTES", 1500)
	w.StringKeyString("57677", "x")
	w.StringKeyInt32("k", -5)
	w.Int(9, -5)
	w.Uint(1, 1<<32)
	w.StartBlock("blk")
	w.EndBlock()
	w.EndRecord()
	w.Uint(300, 70000)
	w.EndRecord()
	if want := readHex(t, "synthetic_tlv_misc_two_records.payload.hex"); !bytes.Equal(w.Bytes(), want) {
		t.Errorf("misc:\n got % x\nwant % x", w.Bytes(), want)
	}
}

func TestTLVWriterShrinking(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *TLVWriter)
		want  []byte
	}{
		{"u8 key u8", func(w *TLVWriter) { w.Uint(255, 255) }, []byte{0x22, 0xff, 0xff}},
		{"u16 key u16", func(w *TLVWriter) { w.Uint(256, 256) }, []byte{0x33, 1, 0, 1, 0}},
		{"u32 key u32", func(w *TLVWriter) { w.Uint(65536, 65536) }, []byte{0x44, 0, 1, 0, 0, 0, 1, 0, 0}},
		{"u64", func(w *TLVWriter) { w.Uint(1, math.MaxUint64) }, []byte{0x25, 1, 255, 255, 255, 255, 255, 255, 255, 255}},
		{"int32 -128 → int8", func(w *TLVWriter) { w.Int32(1, -128) }, []byte{0x26, 1, 0x80}},
		{"int32 128 → int16", func(w *TLVWriter) { w.Int32(1, 128) }, []byte{0x27, 1, 0, 128}},
		{"int32 -32769 → int32", func(w *TLVWriter) { w.Int32(1, -32769) }, []byte{0x28, 1, 0xff, 0xff, 0x7f, 0xff}},
		{"int64 small positive → int8", func(w *TLVWriter) { w.Int(1, 5) }, []byte{0x26, 1, 5}},
		{"int64 -1 stays int64", func(w *TLVWriter) { w.Int(1, -1) }, []byte{0x29, 1, 255, 255, 255, 255, 255, 255, 255, 255}},
		{"int64 2^32 stays int64", func(w *TLVWriter) { w.Int(1, 1<<32) }, []byte{0x29, 1, 0, 0, 0, 1, 0, 0, 0, 0}},
		{"digit string key → numeric", func(w *TLVWriter) { w.StringKeyUint("300", 1) }, []byte{0x32, 1, 44, 1}},
		{"dotted string key stays string", func(w *TLVWriter) { w.StringKeyUint("1.2", 1) }, []byte{0xb2, 0, 3, '1', '.', '2', 1}},
	}
	for _, tt := range tests {
		var w TLVWriter
		w.Begin()
		tt.write(&w)
		if got := w.Bytes()[2:]; !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got % x want % x", tt.name, got, tt.want)
		}
	}
}

func TestTLVTruncatedAtEveryOffset(t *testing.T) {
	var w TLVWriter
	w.Begin()
	flows := realisticFlows(3)
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	full := append([]byte{}, w.Bytes()...)
	d := NewDecoder(Config{})
	for i, payload := range [][]byte{full, readHex(t, "synthetic_tlv_flow_dns.payload.hex"), readHex(t, "synthetic_tlv_misc_two_records.payload.hex")} {
		nFull, _ := d.DecodeTLVFlows(payload, func(*engine.FlowRecord) {})
		for n := 0; n < len(payload); n++ {
			got, err := d.DecodeTLVFlows(payload[:n], func(*engine.FlowRecord) {})
			// Every proper prefix of a payload whose last byte is an EOR
			// must lose at least one record.
			if got > nFull || (i < 2 && got == nFull) {
				t.Fatalf("prefix %d/%d: %d records (full %d), err %v", n, len(payload), got, nFull, err)
			}
			if err != nil && Reason(err) == "other" {
				t.Fatalf("prefix %d: untyped error %v", n, err)
			}
		}
	}
}

func TestTLVErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		records int
		reason  string
		msg     string
	}{
		{"empty", nil, 0, ReasonTLVPreamble, ""},
		{"one byte", []byte{1}, 0, ReasonTLVPreamble, ""},
		{"bad version", []byte{2, 1}, 0, ReasonTLVPreamble, ""},
		{"json format", []byte{1, 2, 0x22, 1, 1, 1}, 0, ReasonTLVPreamble, ""},
		{"preamble only", []byte{1, 1}, 0, "", ""},
		{"empty records skipped", []byte{1, 1, 1, 1, 0x22, 4, 6, 1, 1}, 1, "", ""},
		{"hostile string length", []byte{1, 1, 0x2b, 8, 0xff, 0xff, 'a'}, 0, ReasonTLVTruncated, "record 1 item 1: truncated string value (need 65535 bytes, have 1)"},
		{"hostile key length", []byte{1, 1, 0xb2, 0xff, 0xff, 'a'}, 0, ReasonTLVTruncated, "truncated string key"},
		{"u64 key", []byte{1, 1, 0x52, 0, 0, 0, 0, 0, 0, 0, 1, 5, 1}, 0, ReasonTLVKeyType, "uint64"},
		{"int8 key", []byte{1, 1, 0x62, 1, 5, 1}, 0, ReasonTLVKeyType, ""},
		{"no key, value", []byte{1, 1, 0x02, 5, 1}, 0, ReasonTLVKeyType, ""},
		{"list after a record", []byte{1, 1, 0x22, 4, 6, 1, 0x0e, 0, 1, 'l', 0x0f, 0x22, 4, 17, 1}, 1, ReasonTLVValueType, "record 2 item 1"},
		{"end of data byte", []byte{1, 1, 0x22, 4, 6, 0x00, 1}, 0, ReasonTLVValueType, ""},
		{"end of block alone", []byte{1, 1, 0x0d, 1}, 0, ReasonTLVValueType, ""},
		{"float key type", []byte{1, 1, 0xa2, 0, 0, 0, 0, 1, 1}, 0, ReasonTLVKeyType, ""},
		{"unterminated last record dropped", []byte{1, 1, 0x22, 4, 6, 1, 0x22, 4, 17}, 1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := decodeAll(t, NewDecoder(Config{}), FormatTLV, tt.payload)
			if len(recs) != tt.records || Reason(err) != tt.reason {
				t.Fatalf("records %d err %v, want %d %q", len(recs), err, tt.records, tt.reason)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestTLVValueKindsAndKeys(t *testing.T) {
	var w TLVWriter
	w.Begin()
	w.StringKeyString("IPV4_SRC_ADDR", "10.1.2.3")
	w.StringKeyUint("35632.118", 7)       // dotted PEN key: L7_PROTO
	w.StringKeyUint("L4_DST_PORT", 443)   // symbolic
	w.Int32(1, -1)                        // negative IN_BYTES: int_num as unsigned
	w.Float(2, 3.5)                       // float for an int field: 0
	w.Uint(58, 5000)                      // VLAN > 4095 → 0
	w.StringKeyString("NOT_A_FIELD", "v") // unresolvable name
	w.Uint(99999, 12)                     // unknown id
	w.StringKeyInt("9999.1", -3)          // other PEN
	w.Float(57596, 2.25)                  // server latency
	w.EndRecord()
	recs, err := decodeAll(t, NewDecoder(Config{}), FormatTLV, w.Bytes())
	if err != nil || len(recs) != 1 {
		t.Fatal(err, recs)
	}
	r := recs[0]
	if r.SrcIP != netip.MustParseAddr("10.1.2.3") || r.L7App != 7 || !r.L7Set || r.DstPort != 443 ||
		r.InBytes != math.MaxUint64 || r.InPkts != 0 || r.VLAN != 0 || r.ServerLatencyMs != 2.25 || r.HasLatency != 2 {
		t.Errorf("record %+v", r)
	}
	want := []engine.Field{{Key: "NOT_A_FIELD", Value: "v"}, {Key: "99999", Value: "12"}, {Key: "9999.1", Value: "-3"}}
	if !reflect.DeepEqual(r.Additional, want) {
		t.Errorf("additional %+v", r.Additional)
	}
}

func TestTLVCounter(t *testing.T) {
	build := func(eor bool, extra func(w *TLVWriter)) []byte {
		var w TLVWriter
		w.Begin()
		w.Uint(0, 0x01020304)
		w.Uint(1, 77)
		w.Uint(2, 5)
		w.String(3, "eth0")
		w.Uint(4, 6)
		w.Uint(5, 1e9)
		w.String(6, "Full")
		w.String(7, "Up")
		w.StringKeyString("ifOperStatus", "Down")
		w.Uint(9, 1<<40)
		w.Uint(10, 2)
		w.Uint(11, 3)
		w.Uint(12, 4)
		w.Uint(13, 5)
		w.Uint(14, 6)
		w.Uint(15, 1)
		if extra != nil {
			extra(&w)
		}
		if eor {
			w.EndRecord()
		}
		return append([]byte{}, w.Bytes()...)
	}
	want := engine.CounterRecord{DeviceIP: netip.MustParseAddr("1.2.3.4"), SamplesGenerated: 77, IfIndex: 5, IfName: "eth0",
		IfType: 6, IfSpeed: 1e9, FullDuplex: true, AdminUp: true, OperUp: false, InOctets: 1 << 40, InPkts: 2, InErrors: 3,
		OutOctets: 4, OutPkts: 5, OutErrors: 6, Promisc: true}
	tests := []struct {
		name    string
		payload []byte
		reason  string
	}{
		{"ntopng style, no EOR", build(false, nil), ""},
		{"trailing EOR accepted", build(true, nil), ""},
		{"unknown numeric key ignored", build(false, func(w *TLVWriter) { w.Uint(99, 1) }), ""},
		{"dotted device ip string", build(false, func(w *TLVWriter) { w.String(0, "1.2.3.4") }), ""},
		{"unknown string key aborts", build(false, func(w *TLVWriter) { w.StringKeyUint("bogus", 1) }), ReasonCounterKey},
		{"signed value aborts", build(false, func(w *TLVWriter) { w.Int(2, -1) }), ReasonTLVValueType},
		{"float value aborts", build(false, func(w *TLVWriter) { w.Float(2, 1) }), ReasonTLVValueType},
		{"bad preamble", []byte{1, 2}, ReasonTLVPreamble},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeTLVCounter(tt.payload)
			if Reason(err) != tt.reason {
				t.Fatalf("err %v, want %q", err, tt.reason)
			}
			if err == nil && !reflect.DeepEqual(c, want) {
				t.Errorf("\n got %+v\nwant %+v", c, want)
			}
		})
	}
}

func TestTLVAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	var w TLVWriter
	w.Begin()
	flows := realisticFlows(100)
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	d := NewDecoder(Config{})
	body := w.Bytes()
	emit := func(*engine.FlowRecord) {}
	d.DecodeTLVFlows(body, emit)
	if a := testing.AllocsPerRun(50, func() { d.DecodeTLVFlows(body, emit) }); a != 0 {
		t.Errorf("%v allocations per 100-flow message", a)
	}
}
