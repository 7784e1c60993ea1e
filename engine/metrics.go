package engine

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// ifaceRow is one interface in a /metrics scrape: its labels and the same
// Snapshot the REST interface data reads.
type ifaceRow struct {
	ifid, name, kind string
	st               InterfaceStats
	shardRecs        []uint64 // flow records per shard
}

func (e *Engine) metricsSnapshot() []ifaceRow {
	ifs := e.Interfaces()
	rows := make([]ifaceRow, len(ifs))
	for n, i := range ifs {
		rows[n] = ifaceRow{ifid: strconv.Itoa(i.ID()), name: i.Name(), kind: i.Kind(), st: i.Snapshot(), shardRecs: i.ShardFlowRecords()}
	}
	return rows
}

// pauseObservers time the interface goroutine's work, one series per kind:
// while it runs, the interface's queue does not move.
type pauseObservers struct {
	batch, tick, do prometheus.Observer
}

// newPauseHistogram is flowgate_interface_pause_seconds: 50 µs to ~3 s.
func newPauseHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "flowgate_interface_pause_seconds",
		Help:    "Time the interface goroutine spent on one piece of work (work: batch of records, 1 s tick with expiry, reader's Do), during which its queue does not move.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 17),
	}, []string{"ifid", "ifname", "work"})
}

func (e *Engine) pauseObservers(ifid int, name string) pauseObservers {
	id := strconv.Itoa(ifid)
	return pauseObservers{
		batch: e.pauses.WithLabelValues(id, name, "batch"),
		tick:  e.pauses.WithLabelValues(id, name, "tick"),
		do:    e.pauses.WithLabelValues(id, name, "do"),
	}
}

// registerMetrics adds the per-interface families (labels ifid, ifname) to
// r. Interfaces added later appear at the next scrape.
func (e *Engine) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, e.pauses)
	type rows = []ifaceRow
	per := func(name, help string, typ prometheus.ValueType, v func(*InterfaceStats) float64) metrics.Family[rows] {
		return metrics.Vec(name, help, typ, []string{"ifid", "ifname"}, func(s *rows, emit func(float64, ...string)) {
			for i := range *s {
				row := &(*s)[i]
				emit(v(&row.st), row.ifid, row.name)
			}
		})
	}
	counter := func(name, help string, v func(*InterfaceStats) uint64) metrics.Family[rows] {
		return per(name, help, prometheus.CounterValue, func(s *InterfaceStats) float64 { return float64(v(s)) })
	}
	gauge := func(name, help string, v func(*InterfaceStats) float64) metrics.Family[rows] {
		return per(name, help, prometheus.GaugeValue, v)
	}
	metrics.MustRegister(r, metrics.NewCollector(e.metricsSnapshot,
		metrics.GaugeVec("flowgate_interface_info", "Engine interfaces: always 1, with the interface's name and kind (zmq, syslog, packet, pcap).",
			[]string{"ifid", "ifname", "kind"}, func(s *rows, emit func(float64, ...string)) {
				for _, row := range *s {
					emit(1, row.ifid, row.name, row.kind)
				}
			}),
		counter("flowgate_interface_bytes_total", "Bytes seen in flows.", func(s *InterfaceStats) uint64 { return s.Bytes }),
		counter("flowgate_interface_packets_total", "Packets seen in flows.", func(s *InterfaceStats) uint64 { return s.Packets }),
		counter("flowgate_interface_upload_bytes_total", "Bytes uploaded (local to remote and egress).", func(s *InterfaceStats) uint64 { return s.BytesUpload }),
		counter("flowgate_interface_download_bytes_total", "Bytes downloaded (remote to local and ingress).", func(s *InterfaceStats) uint64 { return s.BytesDownload }),
		gauge("flowgate_interface_throughput_bps", "Throughput in bits per second, over the last update period.", func(s *InterfaceStats) float64 { return s.ThroughputBps }),
		gauge("flowgate_interface_flows", "Active flows.", func(s *InterfaceStats) float64 { return float64(s.ActiveFlows) }),
		counter("flowgate_interface_flows_created_total", "Flows created.", func(s *InterfaceStats) uint64 { return s.TotalFlows }),
		counter("flowgate_interface_flows_expired_total", "Flows ended by idle timeout.", func(s *InterfaceStats) uint64 { return s.FlowsExpired }),
		gauge("flowgate_interface_hosts", "Active hosts.", func(s *InterfaceStats) float64 { return float64(s.Hosts) }),
		gauge("flowgate_interface_local_hosts", "Active local hosts (inside -m networks).", func(s *InterfaceStats) float64 { return float64(s.LocalHosts) }),
		counter("flowgate_interface_flow_records_total", "Flow records accepted by the engine.", func(s *InterfaceStats) uint64 { return s.FlowRecords }),
		counter("flowgate_interface_queue_waits_total", "Times a collector that holds its transport back (ZMQ over TCP) found the interface queue full and waited instead of dropping.", func(s *InterfaceStats) uint64 { return s.QueueWaits }),
		per("flowgate_interface_queue_wait_seconds_total", "Time collectors spent waiting on a full interface queue.", prometheus.CounterValue, func(s *InterfaceStats) float64 { return s.QueueWaitTime.Seconds() }),
		gauge("flowgate_interface_max_pause_seconds", "Longest batch the interface goroutine processed since start.", func(s *InterfaceStats) float64 { return s.MaxBatchTime.Seconds() }),
		metrics.CounterVec("flowgate_interface_shard_flow_records_total", "Flow records accepted by each engine shard of the interface (--engine-shards; shard 0 alone when not sharded): how evenly the flow hash spreads the load.",
			[]string{"ifid", "ifname", "shard"}, func(s *rows, emit func(uint64, ...string)) {
				for _, row := range *s {
					for k, n := range row.shardRecs {
						emit(n, row.ifid, row.name, strconv.Itoa(k))
					}
				}
			}),
		metrics.CounterVec("flowgate_interface_dropped_flow_records_total", "Flow records dropped, by reason (max_flows, max_hosts, ip_mismatch, queue_full).",
			[]string{"ifid", "ifname", "reason"}, func(s *rows, emit func(uint64, ...string)) {
				for _, row := range *s {
					st := &row.st
					emit(st.DropsMaxFlows, row.ifid, row.name, "max_flows")
					emit(st.DropsMaxHosts, row.ifid, row.name, "max_hosts")
					emit(st.DropsIPMismatch, row.ifid, row.name, "ip_mismatch")
					emit(st.DropsQueueFull, row.ifid, row.name, "queue_full")
				}
			}),
	))
}
