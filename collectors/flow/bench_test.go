package flow

import (
	"net/netip"
	"testing"

	"flowgate/engine"
	"flowgate/internal/cputime"
)

// Decode+map cost per record: datagrams as exporters send them (v9 and
// IPFIX: 24 records of 13 fields per datagram; sFlow: 8 flow samples with
// a 128-byte sampled header each). The template is learned before the
// timer starts.
func benchDecode(b *testing.B, sflowPort bool, setup, pkt []byte, perPkt int) {
	d, _ := newTestDecoder()
	from := netip.MustParseAddr("192.0.2.1")
	batch := &engine.Batch{}
	if setup != nil {
		if err := d.Decode(setup, from, sflowPort, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	cpu0 := cputime.Process()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch.Reset()
		if err := d.Decode(pkt, from, sflowPort, batch); err != nil {
			b.Fatal(err)
		}
		if len(batch.Flows) != perPkt {
			b.Fatalf("%d flows", len(batch.Flows))
		}
	}
	// CPU time of the process per record: the per-core cost, whatever
	// else the machine runs (wall-clock ns/op inflates under contention).
	b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N*perPkt), "cpu-ns/record")
	b.ReportMetric(float64(b.N*perPkt)/b.Elapsed().Seconds(), "records/s")
}

func records(n int) []byte {
	var body []byte
	for i := 0; i < n; i++ {
		body = append(body, basicRecord("10.0.0.1", "10.0.0.2", uint16(1000+i), 443, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)...)
	}
	return body
}

func BenchmarkDecodeV9(b *testing.B) {
	tmpl := v9packet(1, 60000, 1700000000, 5, 1, set(0, templateBody(9, 256, basicFields...)))
	benchDecode(b, false, tmpl, v9packet(2, 60000, 1700000000, 5, 24, set(256, records(24))), 24)
}

func BenchmarkDecodeIPFIX(b *testing.B) {
	tmpl := ipfixPacket(0, 1700000000, 1, set(2, templateBody(10, 256, basicFields...)))
	benchDecode(b, false, tmpl, ipfixPacket(0, 1700000000, 1, set(256, records(24))), 24)
}

func BenchmarkDecodeSFlow(b *testing.B) {
	frame := ethFrame("10.2.0.1", "10.2.0.2", 40000, 443, 12, 0x18)
	frame = append(frame, make([]byte, 128-len(frame))...)
	var samples [][]byte
	for i := 0; i < 8; i++ {
		samples = append(samples, sflowFlowSample(uint32(i+1), 1000, 5, 6, sampledHeader(1514, frame)))
	}
	benchDecode(b, true, nil, sflowPacket("192.0.2.9", 1, samples...), 8)
}
