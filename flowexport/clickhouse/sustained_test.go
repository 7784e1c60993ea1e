package clickhouse

import (
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
	"flowgate/flowexport"
	"flowgate/flowexport/clickhouse/chtest"
	"flowgate/internal/cputime"
	"flowgate/internal/testwait"
)

// TestSustainedDump is the dump figure (bench/clickhouse.sh): records of
// new flows go into the engine at FLOWGATE_CH_RATE flows/s (250,000) for
// FLOWGATE_CH_SECS seconds; flows end by idle expiry (1 s) and their rows
// go to a real ClickHouse while ingest continues. It reports the rows/s the
// server acknowledged over the run and fails on any lost row. Skipped
// unless FLOWGATE_CH_SECS is set: it is a benchmark, not a unit test.
func TestSustainedDump(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("FLOWGATE_CH_SECS"))
	if secs <= 0 {
		t.Skip("set FLOWGATE_CH_SECS (bench/clickhouse.sh)")
	}
	rate := 250000
	if v, _ := strconv.Atoi(os.Getenv("FLOWGATE_CH_RATE")); v > 0 {
		rate = v
	}
	srv := chtest.Start(t)
	cfg := testConfig(srv, t.TempDir())
	cfg.BatchRows, cfg.FlushEvery = 100000, time.Second
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tcfg := flowexport.DefaultConfiguration()
	tcfg.Instance, tcfg.Metrics = "bench", prometheus.NewRegistry()
	tap, err := flowexport.New(tcfg, w)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Configuration{MaxFlows: 4 << 20, MaxHosts: 1 << 17, FlowIdle: time.Second, QueueLen: 4096})
	iface := eng.AddInterface("bench", "zmq")
	eng.Observe(tap.Observer)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	cpu0 := cputime.Process()
	const batch = 1000
	start := time.Now()
	end := start.Add(time.Duration(secs) * time.Second)
	sent := 0
	var written0 uint64
	exporter := netip.MustParseAddr("192.0.2.1")
	for now := time.Now(); now.Before(end); now = time.Now() {
		// Pace: as many batches as the rate allows by now.
		due := int(float64(rate) * now.Sub(start).Seconds())
		if sent >= due {
			time.Sleep(time.Millisecond) // pacing the generator, not synchronizing the test
			continue
		}
		ts := uint32(now.Unix())
		b := iface.NewBatch()
		for j := 0; j < batch; j++ {
			k := sent + j
			r := b.AddFlow()
			r.SrcIP = netip.AddrFrom4([4]byte{10, byte(k >> 24), byte(k >> 16 & 0x0f), 1})
			r.DstIP = netip.AddrFrom4([4]byte{10, 200, byte(k >> 20 & 0x0f), 1})
			r.SrcPort, r.DstPort, r.Proto = uint16(k), 443, 6
			r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = 1000, 4, 5000, 6
			r.FirstSwitched, r.LastSwitched, r.ExporterIP = ts, ts, exporter
		}
		if !iface.EnqueueWait(b, nil) {
			t.Fatal("engine queue closed")
		}
		sent += batch
		if written0 == 0 && now.Sub(start) > 5*time.Second {
			written0 = w.Counters().Written // after the first flows expired
		}
	}
	elapsed := time.Since(start)
	cw := w.Counters()
	cpu := cputime.Process() - cpu0
	t.Logf("ingest: %d flows in %s = %.0f flows/s offered", sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds())
	t.Logf("clickhouse during the run: %d rows written, %.0f rows/s after the first 5 s; buffered %d, spooled %d, send errors %d",
		cw.Written, float64(cw.Written-written0)/(elapsed.Seconds()-5), cw.BufferedRows, cw.Spooled, cw.SendErrors)
	t.Logf("flowgate process CPU over the run (engine + tap + writer + generator): %s = %.2f cores; GOMAXPROCS %d",
		cpu.Round(time.Millisecond), cpu.Seconds()/elapsed.Seconds(), runtime.GOMAXPROCS(0))
	eng.Stop()
	testwait.Until(t, 5*time.Minute, "every row written", func() bool {
		c := w.Counters()
		return c.Written+c.BufferDrops+c.SpoolDrops >= uint64(sent) && c.SpoolRows == 0
	})
	w.Stop()
	c := w.Counters()
	t.Logf("final: %+v", c)
	if c.Written != uint64(sent) || c.BufferDrops != 0 || c.SpoolDrops != 0 {
		t.Fatalf("lost rows: sent %d flows, %+v", sent, c)
	}
	if n := count(t, srv, "SELECT count() FROM ntopng.flows"); n != uint64(sent) {
		t.Fatalf("%d rows in ClickHouse, want %d", n, sent)
	}
}
