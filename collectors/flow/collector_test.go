package flow

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"flowgate/engine"
	"flowgate/internal/testwait"
)

type rig struct {
	eng   *engine.Engine
	iface *engine.Interface
	c     *Collector
}

func startRig(t *testing.T, addr, dataDir string, reg prometheus.Registerer) *rig {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface("netflow://"+addr, "netflow")
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfiguration()
	cfg.Addrs, cfg.DataDir, cfg.Metrics = []string{addr}, dataDir, reg
	c, err := New(cfg, iface)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return &rig{eng, iface, c}
}

func (r *rig) stop() { r.c.Stop(); r.eng.Stop() }

func send(t *testing.T, to net.Addr, pkts ...[]byte) {
	t.Helper()
	conn, err := net.Dial("udp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range pkts {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTemplatesSurviveRestart: data sent after a restart, without the
// template being resent, decodes with the template saved in the data dir.
func TestTemplatesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	port, err := (&Collector{}).probePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tmpl := set(0, templateBody(9, 256, basicFields...))
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)

	reg := prometheus.NewPedanticRegistry()
	r := startRig(t, addr, dir, reg)
	send(t, r.c.Addr(), v9packet(1, 60000, 1700000000, 5, 1, tmpl), v9packet(2, 60000, 1700000000, 5, 1, set(256, rec)))
	testwait.For(t, "first record", func() bool { return r.iface.Snapshot().FlowRecords == 1 })
	if n, err := testutil.GatherAndCount(reg, "flowgate_flow_exporter_records_total"); err != nil || n != 1 {
		t.Errorf("records family: %d series, %v", n, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP flowgate_flow_exporter_records_total Flow records decoded per exporter.
# TYPE flowgate_flow_exporter_records_total counter
flowgate_flow_exporter_records_total{exporter="127.0.0.1",ifid="0",ifname="netflow://`+addr+`"} 1
`), "flowgate_flow_exporter_records_total"); err != nil {
		t.Error(err)
	}
	r.stop()

	r = startRig(t, addr, dir, nil)
	defer r.stop()
	send(t, r.c.Addr(), v9packet(3, 60000, 1700000000, 5, 1, set(256, rec)))
	testwait.For(t, "record decoded with the saved template", func() bool { return r.iface.Snapshot().FlowRecords == 1 })
	ex := r.c.Exporters()
	if len(ex) != 1 || ex[0].TemplateMisses != 0 || ex[0].Records != 1 {
		t.Errorf("exporters %+v", ex)
	}
}

// TestQueueDropsCounted: datagrams beyond a full queue are counted, not lost silently.
func TestQueueDropsCounted(t *testing.T) {
	// The engine is started: a worker waits for the engine's queue (a
	// stopped engine would hold the first batch forever).
	_, c := startCollector(t, "netflow", "netflow", func(cfg *Configuration) {
		cfg.Addrs, cfg.Readers, cfg.QueueLen = []string{"127.0.0.1:0"}, 1, 1
	})
	// A flood into a one-datagram queue: every datagram is either decoded
	// (counted per exporter), dropped at the queue, or dropped by the kernel.
	p := v5packet(0, 1, 1, 0, v5rec{src: "1.1.1.1", dst: "2.2.2.2", pkts: 1, octets: 1})
	const n = 20000
	pkts := make([][]byte, n)
	for i := range pkts {
		pkts[i] = p
	}
	send(t, c.Addr(), pkts...)
	testwait.For(t, "every datagram accounted for", func() bool {
		tt := c.Totals()
		var got uint64
		for _, e := range c.Exporters() {
			got += e.Packets
		}
		return got+tt.QueueDrops+tt.KernelDrops == n && tt.Datagrams == got+tt.QueueDrops
	})
}

// TestSFlowOverUDP: an sflow:// interface turns flow samples into flows
// and counter samples into the engine's counter records.
func TestSFlowOverUDP(t *testing.T) {
	iface, c := startCollector(t, "sflow://127.0.0.1:0", "sflow", func(cfg *Configuration) {
		cfg.Addrs, cfg.SFlow = []string{"127.0.0.1:0"}, true
	})
	frame := ethFrame("10.2.0.1", "10.2.0.2", 40000, 443, 12, 0x02)
	send(t, c.Addr(),
		sflowPacket("192.0.2.9", 1, sflowFlowSample(1, 100, 5, 6, sampledHeader(1000, frame)), ifCounterSample(7, 3, 1000, 2000)),
		v5packet(0, 1, 1, 0, v5rec{src: "1.1.1.1", dst: "2.2.2.2"})) // NetFlow on an sFlow socket: refused, counted
	testwait.For(t, "flow and counter in the engine", func() bool {
		s := iface.Snapshot()
		return s.FlowRecords == 1 && s.Bytes == 100*1000 && s.Packets == 100 && s.Counters == 1
	})
	testwait.For(t, "refused datagram counted", func() bool {
		ex := c.Exporters()
		return len(ex) == 1 && ex[0].Errors["unknown_version"] == 1 && ex[0].Records == 1 && ex[0].Counters == 1
	})
}

// TestSeveralPorts: one interface listening on two ports takes both.
func TestSeveralPorts(t *testing.T) {
	iface, c := startCollector(t, "netflow", "netflow", func(cfg *Configuration) {
		cfg.Addrs = []string{"127.0.0.1:0", "127.0.0.1:0"}
	})
	if len(c.ports) != 2 || c.ports[0] == c.ports[1] {
		t.Fatalf("ports %v", c.ports)
	}
	for i, p := range c.ports {
		send(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}, v5packet(uint32(i), 1, 1, 0, v5rec{src: "10.0.0.1", dst: "10.0.0.2", pkts: 1, octets: 100}))
	}
	testwait.For(t, "records from both ports", func() bool { return iface.Snapshot().FlowRecords == 2 })
}
