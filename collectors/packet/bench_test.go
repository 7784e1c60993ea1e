package packet

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"flowgate/internal/cputime"
)

// benchCapture is a capture of long-lived flows: 1,000 TCP conversations
// (HTTP, TLS and plain), 400 UDP ones (DNS and others), then rounds of data
// packets of mixed sizes, about 100,000 packets in all.
func benchCapture(b testing.TB) *capture {
	c := newCapture(b)
	hello := clientHelloBytes(b, "bench.example.com", []string{"h2"})
	convs := make([]*conv, 1000)
	for i := range convs {
		cv := &conv{c: c, cli: fmt.Sprintf("10.%d.%d.%d", 1+i/60000, i/250%240, 1+i%250), srv: fmt.Sprintf("192.0.2.%d", 1+i%50),
			cport: uint16(10000 + i), sport: 443, cliSeq: uint32(i) * 7919, srvSeq: 1, rtt: 200 * time.Microsecond}
		cv.open()
		switch i % 3 {
		case 0:
			cv.send(true, hello)
		case 1:
			cv.sport = 80
			cv.send(true, []byte("GET /x HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\n\r\n"))
			cv.send(false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
		}
		convs[i] = cv
	}
	payloads := [][]byte{make([]byte, 1400), make([]byte, 60), make([]byte, 512)}
	for round := range 90 {
		for i, cv := range convs {
			cv.send(i%2 == round%2, payloads[(i+round)%3])
			if i%10 == 0 {
				c.udp(fmt.Sprintf("10.200.%d.%d", i/250, 1+i%250), "10.0.0.53", uint16(30000+i%400), 53, dnsMsg(uint16(i), "bench.example.com", 1, false, 0))
			}
		}
		c.wait(50 * time.Millisecond)
	}
	return c
}

// replay feeds a pcap image through the collector's per-packet path
// (decode, filter, flow tracking, dissectors, export) as many times as
// needed for n packets, moving the clock forward on each pass.
func replay(b *testing.B, data []byte, n int) *Stats {
	cfg := Configuration{}.withDefaults()
	col := &Collector{cfg: cfg}
	sink := &memSink{}
	t := newTracker(cfg, &col.stats, sink)
	d := newDecoder(layers.LayerTypeEthernet)
	var p pkt
	br := bytes.NewReader(data)
	r, err := pcapgo.NewReader(br)
	if err != nil {
		b.Fatal(err)
	}
	var shift, first, last int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < n; i++ {
		pd, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			_, _ = br.Seek(24, io.SeekStart) // past the file header
			shift += last - first + int64(time.Second)
			pd, ci, err = r.ZeroCopyReadPacketData()
		}
		if err != nil {
			b.Fatal(err)
		}
		ts := ci.Timestamp.UnixNano()
		if first == 0 {
			first = ts
		}
		last = ts
		col.packet(d, t, &p, pd, ci.Length, ts+shift)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pkts/s")
	// CPU time of the whole process (GC included): on a shared machine
	// the wall clock also counts the time other processes had the core.
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "pkts/cpu-s")
	}
	return &col.stats
}

// BenchmarkReplay: one op is one packet.
func BenchmarkReplay(b *testing.B) {
	data := benchCapture(b).pcap()
	st := replay(b, data, b.N)
	if st.Malformed.Load() != 0 {
		b.Fatalf("malformed %v", st.MalformedByReason())
	}
}

// BenchmarkDecode measures the DecodingLayerParser path alone.
func BenchmarkDecode(b *testing.B) {
	c := benchCapture(b)
	d := newDecoder(layers.LayerTypeEthernet)
	var p pkt
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.decode(c.pkts[i%len(c.pkts)], &p)
	}
}

// BenchmarkClientHello measures TLS parsing with JA3 and JA4 (once per TLS flow).
func BenchmarkClientHello(b *testing.B) {
	hello := clientHelloBytes(b, "bench.example.com", []string{"h2"})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s l7state
		dissectTLS(&s, hello, 0, 0, false)
	}
}
