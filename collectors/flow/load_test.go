package flow

import (
	"encoding/binary"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/internal/cputime"
)

// BenchmarkLoopbackV9 is the end-to-end figure: NetFlow v9 datagrams (24
// records each, 2,048 distinct flows) sent as fast as one sender can over
// loopback UDP into a started collector and engine (FLOWGATE_FLOW_RATE
// paces it). It reports records/s
// decoded and the loss (queue, kernel and engine queue drops, in records).
func BenchmarkLoopbackV9(b *testing.B) {
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface("netflow", "netflow")
	if err := eng.Start(); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()
	cfg := DefaultConfiguration()
	cfg.Addrs = []string{"127.0.0.1:0"}
	c, err := New(cfg, iface)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	conn, err := net.Dial("udp", c.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(v9packet(0, 60000, 1700000000, 5, 1, set(0, templateBody(9, 256, basicFields...)))); err != nil {
		b.Fatal(err)
	}
	data := v9packet(1, 60000, 1700000000, 5, 24, set(256, records(24)))
	const perPkt = 24
	// FLOWGATE_FLOW_RATE=records/s paces the sender (default: unpaced).
	var gap time.Duration
	if r, _ := strconv.Atoi(os.Getenv("FLOWGATE_FLOW_RATE")); r > 0 {
		gap = time.Second * perPkt / time.Duration(r)
	}
	b.ResetTimer()
	start := time.Now()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint32(data[12:], uint32(i+1))      // sequence
		binary.BigEndian.PutUint16(data[20+4+8:], uint16(i%85)) // first record's source port varies: distinct flows
		if _, err := conn.Write(data); err != nil {
			b.Fatal(err)
		}
		if gap > 0 { // sleep when more than 1 ms ahead: bursts of at most 1 ms
			if d := time.Until(start.Add(gap * time.Duration(i+1))); d > time.Millisecond {
				time.Sleep(d)
			}
		}
	}
	sent := uint64(b.N) + 1
	deadline := time.Now().Add(30 * time.Second)
	for {
		t := c.Totals()
		if t.Datagrams+t.KernelDrops >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond) // polling a benchmark's end, not synchronizing a test
	}
	// Workers drain their queues.
	for time.Now().Before(deadline) {
		var recs uint64
		for _, e := range c.Exporters() {
			recs += e.Records
		}
		t := c.Totals()
		if recs+(t.QueueDrops+t.KernelDrops)*perPkt >= uint64(b.N)*perPkt {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu := cputime.Process() - cpu0
	b.StopTimer()
	var recs uint64
	for _, e := range c.Exporters() {
		recs += e.Records
	}
	t := c.Totals()
	b.Logf("sent %d datagrams; received %d, kernel drops %d, queue drops %d, waits %d", sent, t.Datagrams, t.KernelDrops, t.QueueDrops, t.QueueWaits)
	engDrops := iface.Snapshot().DropsQueueFull
	lost := (t.QueueDrops+t.KernelDrops)*perPkt + engDrops
	b.ReportMetric(float64(recs)/elapsed.Seconds(), "records/s")
	b.ReportMetric(100*float64(lost)/float64(uint64(b.N)*perPkt), "loss%")
	b.ReportMetric(float64(t.QueueDrops*perPkt), "queue-lost")
	b.ReportMetric(float64(t.KernelDrops*perPkt), "kernel-lost")
	b.ReportMetric(float64(engDrops), "engine-lost")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(uint64(b.N)*perPkt), "cpu-ns/record")
}
