package wire

import (
	"bytes"
	"compress/zlib"
	"testing"
)

func zlibBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestOpenPayloadVectors(t *testing.T) {
	dns := readHex(t, "synthetic_tlv_flow_dns.payload.hex")
	jsonFlow := readFile(t, "synthetic_json_flow_numeric_keys.json")
	tests := []struct {
		header, payload string
		want            []byte
		format          Format
	}{
		{"synthetic_v3_tlv_flow_dns.header.hex", "synthetic_tlv_flow_dns.payload.hex", dns, FormatTLV},
		{"synthetic_v3_tlv_zlib.header.hex", "synthetic_tlv_flow_dns.zlib.hex", dns, FormatTLV},
		{"synthetic_v1_json_zlib.header.hex", "synthetic_v1_json_zlib.payload.hex", bytes.TrimSpace(jsonFlow), FormatJSON},
	}
	for _, tt := range tests {
		h, err := ParseHeader(readHex(t, tt.header))
		if err != nil {
			t.Fatal(err)
		}
		body, f, err := OpenPayload(h, readHex(t, tt.payload), nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", tt.payload, err)
		}
		if f != tt.format || !bytes.Equal(bytes.TrimSpace(body), tt.want) {
			t.Errorf("%s: format %v body %q", tt.payload, f, body)
		}
	}
}

func TestOpenPayloadRules(t *testing.T) {
	js := []byte(`{"8":"1.2.3.4"}`)
	z := zlibBytes(t, js)
	legacy := append([]byte{0}, z...)
	hdr := func(b []byte) Header {
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name    string
		h       Header
		payload []byte
		want    []byte
		format  Format
		reason  string
	}{
		{"v3 json plain", hdr(AppendHeaderV3(nil, "flow", 0, 0, 0, 1, 1)), js, js, FormatJSON, ""},
		{"v3 json compressed, no marker", hdr(AppendHeaderV3(nil, "flow", FlagCompressed, 0, 0, 1, 1)), z, js, FormatJSON, ""},
		{"v3 flags ignore 0x00 marker rule", hdr(AppendHeaderV3(nil, "flow", FlagTLV, 0, 0, 1, 1)), []byte{0, 1}, []byte{0, 1}, FormatTLV, ""},
		{"24-byte version 4: plain json even with 0x00", hdr(AppendHeaderV1(nil, "flow", 4, 0, 0, 1)), legacy, legacy, FormatJSON, ""},
		{"28-byte version 4: plain json", hdr(AppendHeaderV2(nil, "flow", 4, 0, 1, 1)), js, js, FormatJSON, ""},
		{"version 3 TLV never compressed", hdr(AppendHeaderV1(nil, "flow", 3, 0, 0, 1)), []byte{0, 1, 1}, []byte{0, 1, 1}, FormatTLV, ""},
		{"version 2 legacy zlib", hdr(AppendHeaderV1(nil, "flow", 2, 0, 0, 1)), legacy, js, FormatJSON, ""},
		{"v0 legacy zlib", hdr(AppendHeaderV0(nil, "flow", 2, 0)), legacy, js, FormatJSON, ""},
		{"version 2 plain", hdr(AppendHeaderV2(nil, "flow", 2, 0, 1, 1)), js, js, FormatJSON, ""},
		{"36-byte non-4 header: compat path", hdr(func() []byte { b := AppendHeaderV3(nil, "flow", FlagTLV, 0, 0, 0, 0); b[16] = 3; return b }()), js, js, FormatJSON, ""},
		{"empty", hdr(AppendHeaderV1(nil, "flow", 2, 0, 0, 1)), nil, nil, FormatJSON, ReasonEmptyPayload},
		{"bad zlib header", hdr(AppendHeaderV3(nil, "flow", FlagCompressed, 0, 0, 1, 1)), []byte("not zlib"), nil, FormatJSON, ReasonZlib},
		{"legacy marker only", hdr(AppendHeaderV1(nil, "flow", 2, 0, 0, 1)), []byte{0}, nil, FormatJSON, ReasonZlib},
		{"truncated zlib", hdr(AppendHeaderV3(nil, "flow", FlagCompressed, 0, 0, 1, 1)), z[:len(z)-5], nil, FormatJSON, ReasonZlib},
		{"bad checksum", hdr(AppendHeaderV3(nil, "flow", FlagCompressed, 0, 0, 1, 1)), append(append([]byte{}, z[:len(z)-1]...), z[len(z)-1]^1), nil, FormatJSON, ReasonZlib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, f, err := OpenPayload(tt.h, tt.payload, nil, 0)
			if Reason(err) != tt.reason {
				t.Fatalf("reason %q (%v), want %q", Reason(err), err, tt.reason)
			}
			if err == nil && (f != tt.format || !bytes.Equal(body, tt.want)) {
				t.Errorf("format %v body %q, want %v %q", f, body, tt.format, tt.want)
			}
		})
	}
}

func TestOpenPayloadCap(t *testing.T) {
	h, _ := ParseHeader(AppendHeaderV3(nil, "flow", FlagCompressed, 0, 0, 1, 1))
	big := bytes.Repeat([]byte("a"), 1<<20)
	bomb := zlibBytes(t, big)
	if len(bomb) > 5000 {
		t.Fatalf("bomb not compact: %d", len(bomb))
	}
	if _, _, err := OpenPayload(h, bomb, nil, 1<<20-1); Reason(err) != ReasonPayloadTooLarge {
		t.Fatalf("one byte over the cap: %v", err)
	}
	body, _, err := OpenPayload(h, bomb, nil, 1<<20)
	if err != nil || len(body) != 1<<20 {
		t.Fatalf("exactly at the cap: len %d err %v", len(body), err)
	}
	// A hint larger than the cap must not defeat it.
	h.UncompressedSize = 1 << 30
	if _, _, err := OpenPayload(h, bomb, nil, 1000); Reason(err) != ReasonPayloadTooLarge {
		t.Fatalf("with hint: %v", err)
	}
	// The default cap is 16 MiB.
	huge := zlibBytes(t, make([]byte, DefaultMaxDecompressed+1))
	if _, _, err := OpenPayload(h, huge, nil, 0); Reason(err) != ReasonPayloadTooLarge {
		t.Fatalf("default cap: %v", err)
	}
}

func TestOpenPayloadReusesBuffer(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	h, _ := ParseHeader(readHex(t, "synthetic_v3_tlv_zlib.header.hex"))
	p := readHex(t, "synthetic_tlv_flow_dns.zlib.hex")
	buf := make([]byte, 0, 4096)
	body, _, err := OpenPayload(h, p, buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if &body[:1][0] != &buf[:1][0] {
		t.Error("decompressed into a new buffer although buf was large enough")
	}
	allocs := testing.AllocsPerRun(100, func() {
		body, _, err = OpenPayload(h, p, buf, 0)
	})
	if err != nil || allocs > 0 {
		t.Errorf("steady-state allocs %v, err %v", allocs, err)
	}
}
