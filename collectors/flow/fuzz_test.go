package flow

import (
	"encoding/hex"
	"net/netip"
	"testing"
	"time"

	"flowgate/engine"
)

// seeds are valid datagrams of each kind (the fuzzer mutates them).
func netflowSeeds() [][]byte {
	tmpl := set(0, templateBody(9, 256, basicFields...))
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)
	optTmpl := set(1, wbuf{}.u16(300).u16(4).u16(8).u16(1).u16(4).u16(34).u16(4).u16(82).u16(8))
	opt := set(300, append(wbuf{}.u32(0).u32(10), []byte("eth0\x00\x00\x00\x00")...))
	ipfixTmpl := set(2, templateBody(10, 400, tfield{8, 4, 0}, tfield{12, 4, 0}, tfield{1, 8, 0}, tfield{2, 8, rfc5103PEN}, tfield{82, 0xffff, 0}))
	ipfixRec := append(wbuf{}.ip("10.1.0.1").ip("10.1.0.2").u32(0).u32(100).u32(0).u32(2).u8(3), 'a', 'b', 'c')
	return [][]byte{
		v5packet(0, 60000, 1700000000, 0x4000|10, v5rec{src: "10.0.0.1", dst: "10.0.0.2", pkts: 2, octets: 100}),
		v9packet(1, 60000, 1700000000, 5, 4, tmpl, optTmpl, opt, set(256, rec)),
		ipfixPacket(0, 1700000020, 1, ipfixTmpl, set(400, ipfixRec)),
		ipfixPacket(0, 1700000020, 1, set(3, wbuf{}.u16(500).u16(2).u16(1).u16(10).u16(4).u16(82).u16(0xffff))),
	}
}

func sflowSeeds() [][]byte {
	frame := ethFrame("10.2.0.1", "10.2.0.2", 40000, 443, 12, 0x02)
	return [][]byte{
		sflowPacket("192.0.2.9", 1, sflowFlowSample(1, 256, 5, 6, sampledHeader(1514, frame)), ifCounterSample(7, 3, 1000, 2000)),
		sflowPacket("192.0.2.9", 2, sflowFlowSample(2, 1, 1, 2, sflowRecord(3, wbuf{}.u32(40).u32(6).ip("1.1.1.1").ip("2.2.2.2").u32(1).u32(2).u32(2).u32(0)))),
	}
}

// checkDecode decodes p twice (the second time with the state the first
// left, as an exporter's next datagram would) and checks the invariants:
// no panic inside goflow2 past the guards, every flow keyed by addresses.
func checkDecode(t *testing.T, p []byte, sflowPort bool) {
	// A datagram that does not finish decoding is a finding too (the
	// fuzzer has no per-input timeout): report it with its bytes.
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			panic("decode did not finish: " + hex.EncodeToString(p))
		}
	}()
	defer close(done)
	d, _ := newTestDecoder()
	for i := 0; i < 2; i++ {
		b := &engine.Batch{}
		err := d.Decode(p, netip.MustParseAddr("192.0.2.1"), sflowPort, b)
		if err != nil && Reason(err) == reasonPanic {
			t.Fatalf("decoder panic: %v", err)
		}
		for _, f := range b.Flows {
			if !f.SrcIP.IsValid() || !f.DstIP.IsValid() {
				t.Fatalf("flow without addresses: %+v", f)
			}
		}
	}
}

func FuzzDecodeNetFlow(f *testing.F) {
	for _, s := range netflowSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkDecode(t, p, false) })
}

func FuzzDecodeSFlow(f *testing.F) {
	for _, s := range sflowSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkDecode(t, p, true) })
}

func FuzzParseEthernet(f *testing.F) {
	f.Add(ethFrame("10.2.0.1", "10.2.0.2", 40000, 443, 12, 0x02))
	f.Fuzz(func(t *testing.T, p []byte) {
		var r engine.FlowRecord
		if parseEthernet(&r, p) && (!r.SrcIP.IsValid() || !r.DstIP.IsValid()) {
			t.Fatalf("accepted without addresses: %+v", r)
		}
	})
}

func FuzzTemplatesFile(f *testing.F) {
	f.Add([]byte(`{"exporters":{"192.0.2.1":[{"version":9,"domain":5,"id":256,"kind":"data","fields":[{"type":8,"length":4}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tf, err := decodeTemplateFile(b)
		if err != nil {
			return
		}
		c := &exporterCounters{}
		c.initTemplates(nil)
		for _, ts := range tf.Exporters {
			c.tmpl.load(ts)
		}
		for _, s := range c.tmpl.save() {
			if _, err := check(mustTemplate(s)); err != nil {
				t.Fatalf("loaded an invalid template %+v: %v", s, err)
			}
		}
	})
}

func mustTemplate(s savedTemplate) any {
	ts := newTemplates(&exporterCounters{}, nil)
	ts.load([]savedTemplate{s})
	for _, t := range ts.m {
		return t
	}
	return nil
}
