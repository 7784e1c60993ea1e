package flow

import (
	"net/netip"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"flowgate/engine"
)

var exp = netip.MustParseAddr("192.0.2.1")

func newTestDecoder() (*Decoder, *registry) {
	reg := newRegistry()
	var dirty atomic.Bool
	return newDecoder(reg, &dirty, func() time.Time { return time.Unix(1700000100, 0) }), reg
}

func decodeAll(t *testing.T, d *Decoder, sflowPort bool, pkts ...[]byte) (*engine.Batch, []error) {
	t.Helper()
	b := &engine.Batch{}
	var errs []error
	for _, p := range pkts {
		errs = append(errs, d.Decode(p, exp, sflowPort, b))
	}
	return b, errs
}

func TestDecodeRecords(t *testing.T) {
	tmpl := set(0, templateBody(9, 256, basicFields...))
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)
	optTmpl := set(1, wbuf{}.u16(300).u16(4).u16(8).u16(1).u16(4).u16(34).u16(4).u16(82).u16(8))
	opt := set(300, append(wbuf{}.u32(0).u32(10), []byte("eth0\x00\x00\x00\x00")...))
	ipfixTmpl := set(2, templateBody(10, 400, tfield{8, 4, 0}, tfield{12, 4, 0}, tfield{7, 2, 0}, tfield{11, 2, 0}, tfield{4, 1, 0},
		tfield{1, 8, 0}, tfield{2, 8, 0}, tfield{1, 8, rfc5103PEN}, tfield{2, 8, rfc5103PEN}, tfield{150, 4, 0}, tfield{151, 4, 0}, tfield{15, 4, 0}))
	ipfixRec := wbuf{}.ip("10.1.0.1").ip("10.1.0.2").u16(5353).u16(53).u8(17).u32(0).u32(100).u32(0).u32(1).u32(0).u32(300).u32(0).u32(2).
		u32(1700000000).u32(1700000010).ip("10.1.0.254")
	v6Tmpl := set(2, templateBody(10, 401, tfield{27, 16, 0}, tfield{28, 16, 0}, tfield{4, 1, 0}, tfield{1, 4, 0}, tfield{2, 4, 0}, tfield{16, 4, 0}, tfield{17, 4, 0}))
	v6Rec := wbuf{}.ip("2001:db8::1").ip("2001:db8::2").u8(58).u32(64).u32(1).u32(65001).u32(65002)
	counter := ifCounterSample(7, 3, 1000, 2000)
	frame := ethFrame("10.2.0.1", "10.2.0.2", 40000, 443, 12, 0x02)

	tests := []struct {
		name     string
		sflow    bool
		pkts     [][]byte
		want     []engine.FlowRecord
		counters int
	}{
		{"v5 sampled 1:10", false, [][]byte{v5packet(0, 60000, 1700000000, 0x4000|10,
			v5rec{src: "10.0.0.1", dst: "10.0.0.2", pkts: 2, octets: 100, first: 50000, last: 59000, sport: 1, dport: 2, flags: 0x12, proto: 6, in: 3, out: 4, srcAS: 1, dstAS: 2, nextHop: "10.0.0.254"})},
			[]engine.FlowRecord{{SrcIP: ip("10.0.0.1"), DstIP: ip("10.0.0.2"), SrcPort: 1, DstPort: 2, Proto: 6, IPVersion: 4, InBytes: 1000, InPkts: 20,
				FirstSwitched: 1699999990, LastSwitched: 1699999999, TCPFlags: 0x12, InIfIndex: 3, OutIfIndex: 4, SrcAS: 1, DstAS: 2}}, 0},
		{"v9 template then data", false, [][]byte{v9packet(1, 60000, 1700000000, 5, 1, tmpl), v9packet(2, 60000, 1700000000, 5, 1, set(256, rec))},
			[]engine.FlowRecord{{SrcIP: ip("10.0.0.1"), DstIP: ip("10.0.0.2"), SrcPort: 1234, DstPort: 80, Proto: 6, IPVersion: 4, InBytes: 1500, InPkts: 3,
				FirstSwitched: 1699999990, LastSwitched: 1699999999, TCPFlags: 0x1b, ClientTCPFlags: 0x1b, InIfIndex: 7, OutIfIndex: 8, VLAN: 42}}, 0},
		{"v9 options sampling 1:10 applied", false, [][]byte{v9packet(1, 60000, 1700000000, 5, 3, tmpl, optTmpl, opt), v9packet(2, 60000, 1700000000, 5, 1, set(256, rec))},
			[]engine.FlowRecord{{SrcIP: ip("10.0.0.1"), DstIP: ip("10.0.0.2"), SrcPort: 1234, DstPort: 80, Proto: 6, IPVersion: 4, InBytes: 15000, InPkts: 30,
				FirstSwitched: 1699999990, LastSwitched: 1699999999, TCPFlags: 0x1b, ClientTCPFlags: 0x1b, InIfIndex: 7, OutIfIndex: 8, VLAN: 42}}, 0},
		{"ipfix biflow", false, [][]byte{ipfixPacket(0, 1700000020, 1, ipfixTmpl, set(400, ipfixRec))},
			[]engine.FlowRecord{{SrcIP: ip("10.1.0.1"), DstIP: ip("10.1.0.2"), SrcPort: 5353, DstPort: 53, Proto: 17, IPVersion: 4, InBytes: 100, InPkts: 1,
				OutBytes: 300, OutPkts: 2, FirstSwitched: 1700000000, LastSwitched: 1700000010}}, 0},
		{"ipfix v6 and AS", false, [][]byte{ipfixPacket(0, 1700000020, 1, v6Tmpl, set(401, v6Rec))},
			[]engine.FlowRecord{{SrcIP: ip("2001:db8::1"), DstIP: ip("2001:db8::2"), Proto: 58, IPVersion: 6, InBytes: 64, InPkts: 1, SrcAS: 65001, DstAS: 65002,
				FirstSwitched: 1700000020, LastSwitched: 1700000020}}, 0},
		{"sflow header and counters", true, [][]byte{sflowPacket("192.0.2.9", 1, sflowFlowSample(1, 256, 5, 6, sampledHeader(1514, frame)), counter)},
			[]engine.FlowRecord{{SrcIP: ip("10.2.0.1"), DstIP: ip("10.2.0.2"), SrcPort: 40000, DstPort: 443, Proto: 6, IPVersion: 4, VLAN: 12, TCPFlags: 0x02,
				InBytes: 1514 * 256, InPkts: 256, InIfIndex: 5, OutIfIndex: 6, FirstSwitched: 1700000100, LastSwitched: 1700000100,
				SrcMAC: [6]byte{7, 8, 9, 10, 11, 12}, DstMAC: [6]byte{1, 2, 3, 4, 5, 6}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reg := newTestDecoder()
			b, errs := decodeAll(t, d, tt.sflow, tt.pkts...)
			for i, err := range errs {
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
			}
			if len(b.Flows) != len(tt.want) {
				t.Fatalf("%d flows, want %d: %+v", len(b.Flows), len(tt.want), b.Flows)
			}
			for i, w := range tt.want {
				g := b.Flows[i]
				if w.ExporterIP == (netip.Addr{}) {
					w.ExporterIP = exp
					if tt.sflow {
						w.ExporterIP = ip("192.0.2.9")
					}
				}
				w.FlowSource, w.Direction = 1, 2
				if tt.sflow {
					w.FlowSource = 2
				}
				g.Additional = nil
				if !reflect.DeepEqual(g, w) {
					t.Errorf("flow %d\n got %+v\nwant %+v", i, g, w)
				}
			}
			if len(b.Counters) != tt.counters {
				t.Errorf("%d counters, want %d", len(b.Counters), tt.counters)
			}
			st := reg.list()
			if len(st) != 1 || st[0].Records != uint64(len(tt.want)) || st[0].Packets != uint64(len(tt.pkts)) || len(st[0].Errors) != 0 {
				t.Errorf("exporter stats %+v", st)
			}
		})
	}
}

func TestSFlowCounterMapping(t *testing.T) {
	d, _ := newTestDecoder()
	b, errs := decodeAll(t, d, true, sflowPacket("192.0.2.9", 1, ifCounterSample(7, 3, 1000, 2000)))
	if errs[0] != nil || len(b.Counters) != 1 {
		t.Fatalf("err %v counters %d", errs[0], len(b.Counters))
	}
	c := b.Counters[0]
	if c.DeviceIP != ip("192.0.2.9") || c.IfIndex != 3 || c.InOctets != 1000 || c.OutOctets != 2000 || c.InPkts != 12 || c.OutPkts != 20 ||
		!c.AdminUp || !c.OperUp || !c.FullDuplex || c.IfSpeed != 1000000000 || c.SamplesGenerated != 7 || c.InErrors != 2 || c.OutErrors != 3 {
		t.Errorf("counter %+v", c)
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestBadInput: hostile or broken datagrams are counted per exporter and
// reason; the decoder keeps working for the next good datagram.
func TestBadInput(t *testing.T) {
	tmpl := set(0, templateBody(9, 256, basicFields...))
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)
	good := func() []byte { return v9packet(9, 60000, 1700000000, 5, 2, tmpl, set(256, rec)) }
	tests := []struct {
		name   string
		sflow  bool
		pkts   [][]byte
		reason string // counted decode error ("" none)
		misses uint64
		redef  uint64
		gaps   uint64
	}{
		{"empty", false, [][]byte{{}}, "truncated", 0, 0, 0},
		{"unknown version", false, [][]byte{{0, 7, 0, 0}}, "unknown_version", 0, 0, 0},
		{"sflow on netflow port", false, [][]byte{sflowPacket("192.0.2.9", 1)}, "wrong_protocol", 0, 0, 0},
		{"v5 count beyond datagram", false, [][]byte{v5packet(0, 1, 1, 0, v5rec{src: "1.1.1.1", dst: "2.2.2.2"})[:60]}, "v5_count", 0, 0, 0},
		{"v9 truncated header", false, [][]byte{good()[:10]}, "truncated", 0, 0, 0},
		{"data before template", false, [][]byte{v9packet(1, 1, 1, 5, 1, set(256, rec))}, "", 1, 0, 0},
		{"zero-length template", false, [][]byte{v9packet(1, 1, 1, 5, 1, set(0, templateBody(9, 257, tfield{8, 0, 0})))}, "bad_template", 0, 0, 0},
		{"template without fields", false, [][]byte{v9packet(1, 1, 1, 5, 1, set(0, templateBody(9, 257)))}, "bad_template", 0, 0, 0},
		{"absurd template length", false, [][]byte{v9packet(1, 1, 1, 5, 1, set(0, templateBody(9, 257, tfield{8, 65000, 0}, tfield{12, 4000, 0})))}, "bad_template", 0, 0, 0},
		{"zero-length set", false, [][]byte{v9packet(1, 1, 1, 5, 1, wbuf{}.u16(256).u16(0))}, "bad_set", 0, 0, 0},
		{"set length past end", false, [][]byte{append(v9packet(1, 1, 1, 5, 2, tmpl), wbuf{}.u16(256).u16(900)...)}, "", 0, 0, 0},
		{"template id reused by a restarted exporter", false, [][]byte{good(),
			v9packet(10, 100, 1700000000, 5, 1, set(0, templateBody(9, 256, tfield{8, 4, 0}, tfield{12, 4, 0})))}, "", 0, 1, 0},
		{"v9 sequence gap", false, [][]byte{v9packet(1, 60000, 1700000000, 5, 1, tmpl), v9packet(5, 60000, 1700000000, 5, 1, set(256, rec))}, "", 0, 0, 1},
		{"unknown enterprise field", false, [][]byte{ipfixPacket(0, 1, 1, set(2, templateBody(10, 300, tfield{8, 4, 0}, tfield{12, 4, 0}, tfield{1, 4, 9999})))}, "unknown_enterprise_field", 0, 0, 0},
		{"ipfix length below header", false, [][]byte{wbuf{}.u16(10).u16(3).u32(0).u32(0).u32(0)}, "", 0, 0, 0},
		{"sflow too many samples", true, [][]byte{wbuf{}.u32(5).u32(1).ip("1.2.3.4").u32(0).u32(1).u32(1).u32(100000)}, "sflow_too_many_records", 0, 0, 0},
		{"sflow expanded sample announcing 2^32-1 records", true, [][]byte{sflowPacket("1.2.3.4", 1, sflowRecord(3, wbuf{}.u32(1).u32(0).u32(1).u32(1).u32(1).u32(0).u32(0).u32(1).u32(0).u32(2).u32(0xffffffff)))}, "sflow_too_many_records", 0, 0, 0},
		{"sflow sample length past end", true, [][]byte{sflowPacket("1.2.3.4", 1, wbuf{}.u32(1).u32(5000))}, "truncated", 0, 0, 0},
		{"sflow bad agent type", true, [][]byte{wbuf{}.u32(5).u32(7).u32(0).u32(0)}, "sflow_malformed", 0, 0, 0},
		{"sflow version 4", true, [][]byte{wbuf{}.u32(4).u32(1)}, "unknown_version", 0, 0, 0},
		{"sflow sequence gap", true, [][]byte{sflowPacket("1.2.3.4", 1), sflowPacket("1.2.3.4", 4)}, "", 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reg := newTestDecoder()
			_, errs := decodeAll(t, d, tt.sflow, tt.pkts...)
			st := reg.list()[0]
			if tt.reason != "" && st.Errors[tt.reason] == 0 {
				t.Errorf("reason %q not counted: %v (errors %v)", tt.reason, st.Errors, errs)
			}
			if tt.reason == "" && len(st.Errors) != 0 {
				t.Errorf("errors counted %v", st.Errors)
			}
			if st.TemplateMisses != tt.misses || st.Redefined != tt.redef || st.SequenceGaps != tt.gaps {
				t.Errorf("misses %d redefined %d gaps %d, want %d %d %d", st.TemplateMisses, st.Redefined, st.SequenceGaps, tt.misses, tt.redef, tt.gaps)
			}
			// The decoder carries on.
			b := &engine.Batch{}
			if tt.sflow {
				err := d.Decode(sflowPacket("192.0.2.9", 100, sflowFlowSample(1, 1, 1, 2, sampledHeader(60, ethFrame("10.2.0.1", "10.2.0.2", 1, 2, 0, 2)))), exp, true, b)
				if err != nil || len(b.Flows) != 1 {
					t.Fatalf("good sFlow after bad: %v, %d flows", err, len(b.Flows))
				}
			} else {
				if err := d.Decode(good(), netip.MustParseAddr("192.0.2.77"), false, b); err != nil || len(b.Flows) != 1 {
					t.Fatalf("good datagram after bad: %v, %d flows", err, len(b.Flows))
				}
			}
		})
	}
}

func TestMPLSAndNextHop(t *testing.T) {
	d, _ := newTestDecoder()
	tmpl := set(0, templateBody(9, 260, tfield{8, 4, 0}, tfield{12, 4, 0}, tfield{70, 3, 0}, tfield{71, 3, 0}, tfield{15, 4, 0}))
	rec := wbuf{}.ip("10.0.0.1").ip("10.0.0.2").u8(0x01).u8(0x00).u8(0x10).u8(0).u8(0).u8(0).ip("10.0.0.254")
	b, errs := decodeAll(t, d, false, v9packet(1, 1000, 1700000000, 1, 2, tmpl, set(260, rec)))
	if errs[0] != nil || len(b.Flows) != 1 {
		t.Fatalf("%v %d", errs[0], len(b.Flows))
	}
	want := []engine.Field{{Key: "MPLS_LABEL_1", Value: "4097"}, {Key: "IPV4_NEXT_HOP", Value: "10.0.0.254"}}
	if !reflect.DeepEqual(b.Flows[0].Additional, want) {
		t.Errorf("additional %v, want %v", b.Flows[0].Additional, want)
	}
}
