package engine

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// /metrics reads the same Snapshot as the REST: flow records processed
// and queue drops show under each interface's ifid, and an interface
// added after New appears at the next scrape.
func TestInterfaceMetrics(t *testing.T) {
	c := newClock()
	cfg := testConfig(c)
	cfg.QueueLen = 1
	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	e := New(cfg)
	i := e.AddInterface("zmq0", "zmq")
	e.AddInterface("syslog://127.0.0.1:5140", "syslog")
	now := c.Unix()
	mk := func(n int) *Batch {
		b := i.NewBatch()
		for p := range n {
			b.Flows = append(b.Flows, rec("10.1.0.1", "10.1.0.2", uint16(40000+p), 53, 17, 100, 1, 0, 0, now, now))
		}
		return b
	}
	if !i.Enqueue(mk(3)) || i.Enqueue(mk(2)) {
		t.Fatal("want the first batch queued and the second refused")
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.Stop()
	st := i.Snapshot()
	if st.FlowRecords != 3 || st.Bytes != 300 {
		t.Fatalf("snapshot: records %d bytes %d", st.FlowRecords, st.Bytes)
	}
	want := `# HELP flowgate_interface_bytes_total Bytes seen in flows.
# TYPE flowgate_interface_bytes_total counter
flowgate_interface_bytes_total{ifid="0",ifname="zmq0"} 300
flowgate_interface_bytes_total{ifid="1",ifname="syslog://127.0.0.1:5140"} 0
# HELP flowgate_interface_dropped_flow_records_total Flow records dropped, by reason (max_flows, max_hosts, ip_mismatch, queue_full).
# TYPE flowgate_interface_dropped_flow_records_total counter
flowgate_interface_dropped_flow_records_total{ifid="0",ifname="zmq0",reason="ip_mismatch"} 0
flowgate_interface_dropped_flow_records_total{ifid="0",ifname="zmq0",reason="max_flows"} 0
flowgate_interface_dropped_flow_records_total{ifid="0",ifname="zmq0",reason="max_hosts"} 0
flowgate_interface_dropped_flow_records_total{ifid="0",ifname="zmq0",reason="queue_full"} 2
flowgate_interface_dropped_flow_records_total{ifid="1",ifname="syslog://127.0.0.1:5140",reason="ip_mismatch"} 0
flowgate_interface_dropped_flow_records_total{ifid="1",ifname="syslog://127.0.0.1:5140",reason="max_flows"} 0
flowgate_interface_dropped_flow_records_total{ifid="1",ifname="syslog://127.0.0.1:5140",reason="max_hosts"} 0
flowgate_interface_dropped_flow_records_total{ifid="1",ifname="syslog://127.0.0.1:5140",reason="queue_full"} 0
# HELP flowgate_interface_flow_records_total Flow records accepted by the engine.
# TYPE flowgate_interface_flow_records_total counter
flowgate_interface_flow_records_total{ifid="0",ifname="zmq0"} 3
flowgate_interface_flow_records_total{ifid="1",ifname="syslog://127.0.0.1:5140"} 0
# HELP flowgate_interface_info Engine interfaces: always 1, with the interface's name and kind (zmq, syslog, packet, pcap).
# TYPE flowgate_interface_info gauge
flowgate_interface_info{ifid="0",ifname="zmq0",kind="zmq"} 1
flowgate_interface_info{ifid="1",ifname="syslog://127.0.0.1:5140",kind="syslog"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "flowgate_interface_bytes_total",
		"flowgate_interface_dropped_flow_records_total", "flowgate_interface_flow_records_total", "flowgate_interface_info"); err != nil {
		t.Error(err)
	}
	// Per interface: info, 14 families without labels of their own, 4 drop
	// reasons, 3 pause histograms (batch, tick, do), records per shard.
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 2*(1+14+4+3+testShards) {
		t.Errorf("gathered %d series (%v), want %d", n, err, 2*(1+14+4+3+testShards))
	}
	var perShard uint64
	for _, n := range i.ShardFlowRecords() {
		perShard += n
	}
	if s := i.Snapshot(); perShard != s.FlowRecords || s.FlowRecords == 0 {
		t.Errorf("records per shard sum to %d, interface %d", perShard, s.FlowRecords)
	}
}
