package flowexport_test

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"flowgate/engine"
	"flowgate/flowexport"
	chflows "flowgate/flowexport/clickhouse"
	"flowgate/flowexport/kafka"
	"flowgate/internal/testpeer"
)

// sink keeps what it is offered, up to max rows (then refuses).
type sink struct {
	mu   sync.Mutex
	rows []flowexport.Row
	max  int
}

func (s *sink) Offer(r *flowexport.Row) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max > 0 && len(s.rows) >= s.max {
		return false
	}
	s.rows = append(s.rows, *r)
	return true
}

// clock is the engine's fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPeriodicRowsAddUp: a long-lived flow gets a row per PeriodicDump
// with the counters since the previous one, and its last row at the end;
// the rows add up to the flow's totals. A short flow gets one row.
func TestPeriodicRowsAddUp(t *testing.T) {
	clk := &clock{t: time.Unix(1700000000, 0)}
	eng := engine.New(engine.Configuration{Now: clk.now, PeriodicUpdate: time.Second})
	iface := eng.AddInterface("t", "zmq")
	s := &sink{}
	cfg := flowexport.DefaultConfiguration()
	cfg.PeriodicDump, cfg.Instance, cfg.Metrics = 10*time.Second, "i1", prometheus.NewRegistry()
	tap, err := flowexport.New(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	eng.Observe(tap.Observer)
	send := func(sport uint16, bytes uint64) {
		ts := uint32(clk.now().Unix())
		b := iface.NewBatch()
		r := b.AddFlow()
		r.SrcIP, r.DstIP = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		r.SrcPort, r.DstPort, r.Proto = sport, 80, 6
		r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = bytes, 1, 2*bytes, 2
		r.FirstSwitched, r.LastSwitched = ts, ts
		iface.Process(b)
		iface.Do(func(t *engine.Tables) { t.Tick() })
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	// Process and Do run in the interface goroutine and wait: the fake
	// clock moves only here.
	for i := 0; i < 35; i++ {
		send(40000, 100)
		clk.add(time.Second)
	}
	send(40001, 7) // a short flow
	eng.Stop()     // ends both flows
	var long []flowexport.Row
	var short int
	for _, r := range s.rows {
		switch r.SrcPort {
		case 40000:
			long = append(long, r)
		case 40001:
			short++
			if r.SrcBytes != 7 || r.DstBytes != 14 || r.Instance != "i1" {
				t.Fatalf("short flow row %+v", r)
			}
		}
	}
	if short != 1 || len(long) < 4 {
		t.Fatalf("%d rows of the long flow (want a periodic row every 10 s of its 35, plus the last), %d of the short one (want 1)", len(long), short)
	}
	var sb, db, sp uint64
	for i, r := range long {
		sb, db, sp = sb+r.SrcBytes, db+r.DstBytes, sp+r.SrcPkts
		if r.FlowID != long[0].FlowID {
			t.Fatalf("row %d: flow id %d, want %d", i, r.FlowID, long[0].FlowID)
		}
		if i > 0 && r.FirstSeen < long[i-1].LastSeen {
			t.Fatalf("row %d starts at %d, before the previous row's end %d", i, r.FirstSeen, long[i-1].LastSeen)
		}
	}
	if sb != 3500 || db != 7000 || sp != 35 {
		t.Fatalf("rows add up to %d/%d bytes, %d packets; want 3500/7000, 35", sb, db, sp)
	}
	if c := tap.Counters(); c.Rows != uint64(len(s.rows)) || c.Partial != uint64(len(long)-1) || c.Dropped != 0 {
		t.Fatalf("counters %+v with %d rows, %d long", c, len(s.rows), len(long))
	}
}

// TestFullSinkCounted: a sink that refuses a row is counted, and the other
// sinks still get it.
func TestFullSinkCounted(t *testing.T) {
	eng := engine.New(engine.Configuration{})
	iface := eng.AddInterface("t", "zmq")
	full, ok := &sink{max: 1}, &sink{}
	cfg := flowexport.DefaultConfiguration()
	cfg.Metrics = prometheus.NewRegistry()
	tap, err := flowexport.New(cfg, full, ok)
	if err != nil {
		t.Fatal(err)
	}
	eng.Observe(tap.Observer)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	b := iface.NewBatch()
	for i := 0; i < 5; i++ {
		r := b.AddFlow()
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort, r.Proto = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), uint16(1000+i), 80, 17
		r.InBytes, r.InPkts = 1, 1
	}
	iface.EnqueueWait(b, nil)
	eng.Stop()
	if c := tap.Counters(); c.Rows != 5 || c.Dropped != 4 || len(ok.rows) != 5 || len(full.rows) != 1 {
		t.Fatalf("counters %+v, sinks got %d and %d", c, len(full.rows), len(ok.rows))
	}
}

// TestMetricsDocumented: every family of the tap, the writer and the
// producer passes promtool and is listed in docs/metrics.md.
func TestMetricsDocumented(t *testing.T) {
	reg := prometheus.NewRegistry()
	tcfg := flowexport.DefaultConfiguration()
	tcfg.Metrics = reg
	if _, err := flowexport.New(tcfg); err != nil {
		t.Fatal(err)
	}
	ccfg := chflows.DefaultConfiguration()
	ccfg.Metrics = reg
	if _, err := chflows.New(ccfg); err != nil {
		t.Fatal(err)
	}
	kcfg := kafka.DefaultConfiguration()
	kcfg.Brokers, kcfg.Topic, kcfg.Metrics = []string{"127.0.0.1:9092"}, "flows", reg
	if _, err := kafka.New(kcfg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&text, mf); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) < 20 {
		t.Fatalf("%d families registered", len(mfs))
	}
	for _, mf := range mfs {
		if !strings.Contains(string(doc), "| `"+mf.GetName()+"` |") {
			t.Errorf("docs/metrics.md does not list %s", mf.GetName())
		}
	}
	promtool := testpeer.Command(t, "promtool", "prometheus")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
