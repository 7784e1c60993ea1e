package packet

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// FuzzPacket runs arbitrary frames through the decoder, flow tracking and
// every dissector: nothing may panic, whatever the bytes.
func FuzzPacket(f *testing.F) {
	c, hello := l7Capture(f)
	for _, p := range c.pkts {
		f.Add(p)
	}
	f.Add(hello)
	for _, p := range quicCapture(f).pkts {
		f.Add(p[42:]) // the UDP payload: an encrypted Initial
	}
	f.Add(dnsMsg(7, "a.b", 28, true, 2))
	st := &Stats{}
	tr := newTracker(Configuration{MaxFlows: 64}.withDefaults(), st, &memSink{})
	dEth := newDecoder(layers.LayerTypeEthernet)
	dRaw := newDecoder(layers.LayerTypeIPv4)
	var ts int64
	f.Fuzz(func(t *testing.T, data []byte) {
		var p pkt
		for _, d := range []*decoder{dEth, dRaw} {
			if ok, _ := d.decode(data, &p); ok {
				ts += 1e8
				p.ts, p.wireLen = ts, uint64(len(data))
				tr.packet(&p)
			}
		}
		// The dissectors straight on the bytes, in both directions.
		for dir := range 2 {
			var s l7state
			dissectDNS(&s, data)
			dissectHTTP(&s, data, dir)
			s = l7state{}
			dissectTLS(&s, data, 0, 0, false)
			dissectTLS(&s, data, uint32(len(data)), 0, false)
		}
		var h clientHello
		if parseClientHello(data, &h) {
			h.ja3()
			h.ja4(true)
		}
		isQUICInitial(data)
		var q l7state
		dissectQUIC(&q, data)
	})
}
