package wire

import (
	"bytes"
	"testing"
)

func TestHeaderVectors(t *testing.T) {
	tests := []struct {
		file string
		want Header
	}{
		{"synthetic_v1_json_zlib.header.hex", Header{Topic: "flow", TopicKind: TopicFlow, Len: 24, Version: 2, MsgID: 42}},
		{"synthetic_v3_tlv_flow_dns.header.hex", Header{Topic: "flow", TopicKind: TopicFlow, Len: 36, Version: 4, Flags: FlagTLV,
			UncompressedSize: 91, CompressedSize: 91, MsgID: 1, SourceID: 0x07000000}},
		{"synthetic_v3_tlv_zlib.header.hex", Header{Topic: "flow", TopicKind: TopicFlow, Len: 36, Version: 4, Flags: FlagTLV | FlagCompressed,
			UncompressedSize: 91, CompressedSize: 95, MsgID: 2, SourceID: 0x07000000}},
	}
	for _, tt := range tests {
		h, err := ParseHeader(readHex(t, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if h != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, h, tt.want)
		}
	}
}

func TestAppendHeaderReproducesVectors(t *testing.T) {
	if got, want := AppendHeaderV1(nil, "flow", 2, 0, 0x78, 42), readHex(t, "synthetic_v1_json_zlib.header.hex"); !bytes.Equal(got, want) {
		t.Errorf("v1:\n got % x\nwant % x", got, want)
	}
	if got, want := AppendHeaderV3(nil, "flow", FlagTLV, 91, 91, 1, 0x07000000), readHex(t, "synthetic_v3_tlv_flow_dns.header.hex"); !bytes.Equal(got, want) {
		t.Errorf("v3:\n got % x\nwant % x", got, want)
	}
	if got, want := AppendHeaderV3(nil, "flow", FlagTLV|FlagCompressed, 91, 95, 2, 0x07000000), readHex(t, "synthetic_v3_tlv_zlib.header.hex"); !bytes.Equal(got, want) {
		t.Errorf("v3 zlib:\n got % x\nwant % x", got, want)
	}
}

func TestParseHeaderBranches(t *testing.T) {
	raw := func(n int, version byte, set func(b []byte)) []byte {
		b := make([]byte, n)
		copy(b, "event")
		if n != 40 {
			b[16] = version
		}
		if set != nil {
			set(b)
		}
		return b
	}
	tests := []struct {
		name   string
		b      []byte
		want   Header
		reason string
	}{
		{"v0 version LE at 32", AppendHeaderV0(nil, "counter", 3, 99), Header{Topic: "counter", TopicKind: TopicCounter, Len: 40, Version: 3}, ""},
		{"v1 msg_id BE, u8 source", AppendHeaderV1(nil, "flow", 3, 9, 0, 0x01020304), Header{Topic: "flow", TopicKind: TopicFlow, Len: 24, Version: 3, SourceID: 9, MsgID: 0x01020304}, ""},
		{"v1 version 1: msg_id raw LE, source 0", raw(24, 1, func(b []byte) { b[17] = 9; b[20] = 5 }), Header{Topic: "event", TopicKind: TopicEvent, Len: 24, Version: 1, MsgID: 5}, ""},
		{"v1 version 4 (ntopng -I)", AppendHeaderV1(nil, "flow", 4, 0, 10, 7), Header{Topic: "flow", TopicKind: TopicFlow, Len: 24, Version: 4, MsgID: 7}, ""},
		{"v2 source LE, msg BE", AppendHeaderV2(nil, "flow", 2, 0, 77, 0x0a0b0c0d), Header{Topic: "flow", TopicKind: TopicFlow, Len: 28, Version: 2, MsgID: 77, SourceID: 0x0a0b0c0d}, ""},
		{"v2 version 1: msg raw, source 0", raw(28, 1, func(b []byte) { b[20] = 6; b[24] = 1 }), Header{Topic: "event", TopicKind: TopicEvent, Len: 28, Version: 1, MsgID: 6}, ""},
		{"v3 version 1 branch wins", raw(36, 1, func(b []byte) { b[17] = 6; b[20] = 8; b[32] = 1 }), Header{Topic: "event", TopicKind: TopicEvent, Len: 36, Version: 1, MsgID: 8}, ""},
		{"v3 with version 3: no branch", raw(36, 3, func(b []byte) { b[17] = 6; b[31] = 8; b[32] = 1 }), Header{Topic: "event", TopicKind: TopicEvent, Len: 36, Version: 0}, ""},
		{"version 5 rejected", raw(24, 5, nil), Header{}, ReasonHeaderVersion},
		{"version 255 rejected (v3 len)", raw(36, 255, nil), Header{}, ReasonHeaderVersion},
		{"length 0", nil, Header{}, ReasonHeaderLength},
		{"length 25", make([]byte, 25), Header{}, ReasonHeaderLength},
		{"length 41", make([]byte, 41), Header{}, ReasonHeaderLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(tt.b)
			if got := Reason(err); got != tt.reason {
				t.Fatalf("reason %q, want %q (err %v)", got, tt.reason, err)
			}
			if err == nil && h != tt.want {
				t.Errorf("\n got %+v\nwant %+v", h, tt.want)
			}
		})
	}
}

func TestTopicDispatch(t *testing.T) {
	tests := map[string]Topic{
		"flow": TopicFlow, "event": TopicEvent, "counter": TopicCounter, "template": TopicTemplate,
		"option": TopicOption, "hello": TopicHello, "listening-ports": TopicListeningPorts,
		"snmp-ifaces": TopicSNMPIfaces, "message": TopicOther, "": TopicOther, "xyz": TopicOther,
		"fancy": TopicFlow, // first character only, like ntopng
	}
	for topic, want := range tests {
		h, err := ParseHeader(AppendHeaderV3(nil, topic, 0, 0, 0, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if h.TopicKind != want || h.Topic != topic {
			t.Errorf("%q: kind %v topic %q, want %v", topic, h.TopicKind, h.Topic, want)
		}
	}
	// listening-ports fills all 15 url bytes plus NUL.
	h, _ := ParseHeader(AppendHeaderV1(nil, "listening-ports", 2, 0, 0, 0))
	if h.Topic != "listening-ports" {
		t.Errorf("topic %q", h.Topic)
	}
}
