package zmq

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/collectors/zmq/wire"
	"flowgate/engine"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// fixture is an engine with one started interface and a collector that is
// fed by Handle, without sockets.
type fixture struct {
	eng   *engine.Engine
	iface *engine.Interface
	c     *Collector
	clock time.Time
}

// fixtureShards is the engine shard count of newFixture's interface
// (TestFixturesSharded sets 2).
var fixtureShards = 1

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{clock: time.Unix(1729766400, 0)}
	cfg := engine.DefaultConfiguration()
	cfg.Shards = fixtureShards
	cfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}
	cfg.Now = func() time.Time { return f.clock }
	f.eng = engine.New(cfg)
	f.iface = f.eng.AddInterface("tcp://*:5556c", "zmq")
	ccfg := DefaultConfiguration()
	ccfg.Endpoints = []Endpoint{{Addr: "tcp://*:5556", Bind: true}}
	ccfg.Now = func() time.Time { return f.clock }
	c, err := New(ccfg, f.iface)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	if err := f.eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.eng.Stop)
	return f
}

// sync waits until every enqueued batch is processed (Do runs after them).
func (f *fixture) stats() engine.InterfaceStats {
	var st engine.InterfaceStats
	f.iface.Do(func(t *engine.Tables) { st = *t.Stats() })
	return st
}

func (f *fixture) errors() map[string]uint64 { return f.iface.Collector().DecodeErrors() }

func zlibOf(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestSharedVectors(t *testing.T) {
	f := newFixture(t)
	tlv := readHex(t, "synthetic_tlv_flow_dns.payload.hex")
	// v3 header, plain TLV; then v3 with the compressed flag; then the v1
	// legacy compressed JSON of the same flow.
	f.c.Handle([][]byte{readHex(t, "synthetic_v3_tlv_flow_dns.header.hex"), tlv}, 0)
	f.c.Handle([][]byte{readHex(t, "synthetic_v3_tlv_zlib.header.hex"), readHex(t, "synthetic_tlv_flow_dns.zlib.hex")}, 0)
	f.c.Handle([][]byte{readHex(t, "synthetic_v1_json_zlib.header.hex"), readHex(t, "synthetic_v1_json_zlib.payload.hex")}, 0)
	st := f.stats()
	if len(f.errors()) != 0 {
		t.Fatalf("decode errors: %v", f.errors())
	}
	if st.FlowRecords != 3 || st.ActiveFlows != 1 {
		t.Fatalf("flow records %d, active flows %d; want 3 records merged into 1 flow", st.FlowRecords, st.ActiveFlows)
	}
	// The DNS flow: 74+90 bytes and 1+1 packets per update, three updates.
	if st.Bytes != 3*(74+90) || st.Packets != 3*2 {
		t.Errorf("bytes %d packets %d", st.Bytes, st.Packets)
	}
	f.iface.Do(func(tb *engine.Tables) {
		h := tb.Host(netip.MustParseAddr("192.168.1.10"), 0)
		if h == nil || !h.Local || h.BytesSent != 3*74 || h.BytesRcvd != 3*90 {
			t.Errorf("client host %+v", h)
		}
		tb.Flows(func(fl *engine.Flow) bool {
			if fl.L7Name() != "DNS" || fl.ClientPort() != 53211 || fl.ServerPort() != 53 {
				t.Errorf("flow %s %d→%d", fl.L7Name(), fl.ClientPort(), fl.ServerPort())
			}
			if q := fl.DNSQuery(); q != "example.com" {
				t.Errorf("dns query not kept: %q", q)
			}
			return true
		})
	})
	if got := f.iface.Collector().Flows.Load(); got != 3 {
		t.Errorf("flow messages %d", got)
	}
}

// TestMalformedInput feeds broken messages between good ones: each is
// counted under its reason and nothing else is lost.
func TestMalformedInput(t *testing.T) {
	good := func(id uint32) [][]byte {
		var w wire.TLVWriter
		w.Begin()
		rec := engine.FlowRecord{SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"),
			SrcPort: 40000 + uint16(id), DstPort: 80, Proto: 6, InBytes: 100, InPkts: 1, OutBytes: 200, OutPkts: 2,
			FirstSwitched: 1729766400, LastSwitched: 1729766400, ClientTCPFlags: 0x02}
		wire.EncodeTLVFlow(&w, &rec)
		return [][]byte{wire.AppendHeaderV3(nil, "flow", wire.FlagTLV, 0, 0, id, 1), bytes.Clone(w.Bytes())}
	}
	tlvHeader := wire.AppendHeaderV3(nil, "flow", wire.FlagTLV, 0, 0, 0, 9)
	zHeader := wire.AppendHeaderV3(nil, "flow", wire.FlagTLV|wire.FlagCompressed, 0, 0, 0, 9)
	jsonHeader := wire.AppendHeaderV1(nil, "flow", 2, 9, 0, 0)
	okTLV := good(0)[1]
	cases := []struct {
		name   string
		frames [][]byte
		reason string
	}{
		{"one frame", [][]byte{[]byte("flow")}, "frames"},
		{"short header", [][]byte{make([]byte, 10), okTLV}, wire.ReasonHeaderLength},
		{"truncated v3 header", [][]byte{tlvHeader[:35], okTLV}, wire.ReasonHeaderLength},
		{"version 9", [][]byte{func() []byte { h := bytes.Clone(tlvHeader); h[16] = 9; return h }(), okTLV}, wire.ReasonHeaderVersion},
		{"empty payload", [][]byte{tlvHeader, {}}, wire.ReasonEmptyPayload},
		{"bad zlib", [][]byte{zHeader, []byte("\x78\x9cnot zlib at all")}, wire.ReasonZlib},
		{"truncated zlib", [][]byte{zHeader, zlibOf(okTLV)[:10]}, wire.ReasonZlib},
		{"zlib bomb", [][]byte{zHeader, zlibOf(make([]byte, 20<<20))}, wire.ReasonPayloadTooLarge},
		{"tlv preamble", [][]byte{tlvHeader, []byte{2, 1, 1}}, wire.ReasonTLVPreamble},
		{"truncated tlv", [][]byte{tlvHeader, okTLV[:len(okTLV)-7]}, wire.ReasonTLVTruncated},
		{"hostile tlv length", [][]byte{tlvHeader, []byte{1, 1, 0x2b, 8, 0xff, 0xff, 'x'}}, wire.ReasonTLVTruncated},
		{"tlv block", [][]byte{tlvHeader, []byte{1, 1, 0x0c, 0, 1, 'b', 0x0d, 1}}, wire.ReasonTLVValueType},
		{"invalid json", [][]byte{jsonHeader, []byte(`[{"8":"10.0.0.1",}]`)}, wire.ReasonJSONSyntax},
		{"json not objects", [][]byte{jsonHeader, []byte(`[1,2]`)}, wire.ReasonJSONType},
		{"unknown topic", [][]byte{wire.AppendHeaderV1(nil, "zzz", 2, 9, 0, 0), []byte(`{}`)}, "unknown_topic"},
		{"bad event", [][]byte{wire.AppendHeaderV1(nil, "event", 2, 9, 0, 0), []byte(`{"time":`)}, wire.ReasonJSONSyntax},
		{"absurd payload", [][]byte{tlvHeader, make([]byte, 5<<20)}, "payload_frame_too_large"},
	}
	f := newFixture(t)
	id := uint32(1)
	for _, c := range cases {
		before := f.errors()[c.reason]
		f.c.Handle(c.frames, 0)
		f.c.Handle(good(id), 0)
		id++
		if got := f.errors()[c.reason]; got != before+1 {
			t.Errorf("%s: reason %q counted %d times, want 1 (all: %v)", c.name, c.reason, got-before, f.errors())
		}
	}
	st := f.stats()
	if st.FlowRecords != uint64(len(cases)) {
		t.Errorf("good records processed %d, want %d: bad input made good input get lost", st.FlowRecords, len(cases))
	}
	if got := f.iface.Collector().MsgsRcvd.Load(); got != uint64(2*len(cases)) {
		t.Errorf("messages received %d", got)
	}
}

func TestMsgIDAccounting(t *testing.T) {
	f := newFixture(t)
	send := func(src, id uint32) {
		f.c.Handle([][]byte{wire.AppendHeaderV2(nil, "hello", 2, 0, id, src), []byte("{}")}, 0)
	}
	drops := func() uint64 { return f.iface.Collector().MsgDrops.Load() }
	send(1, 10) // first message of a source: no check
	send(1, 11)
	send(1, 15) // 12, 13, 14 lost
	if drops() != 3 {
		t.Fatalf("drops %d, want 3", drops())
	}
	send(1, 15) // repeated: nothing
	send(1, 2)  // restart: nothing
	send(2, 100)
	send(2, 102) // another source: 101 lost
	if drops() != 4 {
		t.Fatalf("drops %d, want 4", drops())
	}
	// A source silent for more than 10 s starts afresh.
	f.clock = f.clock.Add(11 * time.Second)
	send(9, 1) // triggers the sweep
	send(1, 50)
	if drops() != 4 {
		t.Errorf("drops %d after expiry, want 4", drops())
	}
	send(1, 52)
	if drops() != 5 {
		t.Errorf("drops %d, want 5", drops())
	}
	if f.iface.Collector().Hello.Load() != 10 {
		t.Errorf("hello %d", f.iface.Collector().Hello.Load())
	}
}

func TestTopics(t *testing.T) {
	f := newFixture(t)
	v1 := func(topic string) []byte { return wire.AppendHeaderV1(nil, topic, 2, 3, 0, 0) }
	// A template maps a custom name to IN_BYTES; a symbolic-key flow then uses it.
	f.c.Handle([][]byte{v1("template"), []byte(`[{"PEN":0,"field":1,"len":4,"format":"formatted_uint","name":"MY_BYTES"}]`)}, 0)
	f.c.Handle([][]byte{v1("flow"), []byte(`{"IPV4_SRC_ADDR":"10.0.0.1","IPV4_DST_ADDR":"10.0.0.2","L4_SRC_PORT":5000,"L4_DST_PORT":53,"PROTOCOL":17,"MY_BYTES":1234,"IN_PKTS":1,"FIRST_SWITCHED":1729766400,"LAST_SWITCHED":1729766400}`)}, 0)
	f.c.Handle([][]byte{v1("event"), []byte(`{"time":1729766400,"iface":{"speed":10000},"timeout":{"idle":100,"lifetime":300},"drops":{"export_queue_full":7}}`)}, 0)
	f.c.Handle([][]byte{v1("counter"), []byte(`{"deviceIP":16909060,"samplesGenerated":1,"ifIndex":3,"ifName":"eth3","ifInOctets":1000,"ifOutOctets":2000}`)}, 0)
	f.c.Handle([][]byte{v1("listening-ports"), []byte(`{"instance-name":"n","listening-ports":{"tcp4":[{"port":22,"proc":"sshd","pkg":"openssh"}]},"ip-addresses":["10.0.0.2"]}`)}, 0)
	f.c.Handle([][]byte{v1("snmp-ifaces"), []byte(`{"192.0.2.1":{"3":{"name":"ge-0/0/3"}}}`)}, 0)
	f.c.Handle([][]byte{v1("option"), []byte(`{"PEN":8741,"field":22,"value":1,"map":{"name":"Skype"}}`)}, 0)
	f.c.Handle([][]byte{v1("hello"), []byte(`{}`)}, 0)
	st := f.stats()
	if len(f.errors()) != 0 {
		t.Fatalf("errors %v", f.errors())
	}
	if st.Bytes != 1234 {
		t.Errorf("template-mapped bytes: %d", st.Bytes)
	}
	if st.Speed != 10000 || st.DropsExportQueueFull != 7 {
		t.Errorf("event not applied: speed %d drops %d", st.Speed, st.DropsExportQueueFull)
	}
	// timeout.idle 100 is doubled (200); lifetime 300 with no collected
	// lifetime gives 10: max(200, 10) (docs/zmq-wire.md §6.5).
	if st.FlowMaxIdle != 200*time.Second {
		t.Errorf("flow max idle %v, want 200s", st.FlowMaxIdle)
	}
	f.iface.Do(func(tb *engine.Tables) {
		cs := tb.InterfaceCounters()
		if len(cs) != 1 || cs[0].IfName != "eth3" || cs[0].DeviceIP != netip.MustParseAddr("1.2.3.4") || cs[0].InOctets != 1000 {
			t.Errorf("counters %+v", cs)
		}
		lp := tb.ListeningPorts(netip.MustParseAddr("10.0.0.2"))
		if len(lp) != 1 || lp[0].Port != 22 {
			t.Errorf("listening ports %+v", lp)
		}
	})
	if names := f.c.SNMPInterfaceNames("192.0.2.1"); names[3] != "ge-0/0/3" {
		t.Errorf("snmp-ifaces %v", names)
	}
	c := f.iface.Collector()
	if c.Templates.Load() != 1 || c.Events.Load() != 1 || c.Counters.Load() != 1 || c.ListeningPorts.Load() != 1 ||
		c.SNMPIfaces.Load() != 1 || c.Options.Load() != 1 || c.Hello.Load() != 1 {
		t.Errorf("topic counters wrong")
	}
}
