package flow

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

type snapshot struct {
	totals    Totals
	exporters []ExporterStats
}

func (c *Collector) snapshot() snapshot {
	return snapshot{totals: c.Totals(), exporters: c.reg.list()}
}

// registerMetrics adds flowgate_flow_* (ifid, ifname; per exporter where
// labelled exporter).
func (c *Collector) registerMetrics(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	r = metrics.ForInterface(r, c.iface.ID())
	per := func(name, help string, get func(*ExporterStats) uint64) metrics.Family[snapshot] {
		return metrics.CounterVec(name, help, []string{"exporter"}, func(s *snapshot, emit func(uint64, ...string)) {
			for i := range s.exporters {
				emit(get(&s.exporters[i]), s.exporters[i].Exporter)
			}
		})
	}
	fams := metrics.NewCollector(c.snapshot,
		metrics.Counter("flowgate_flow_datagrams_total", "NetFlow/IPFIX/sFlow datagrams received.", func(s *snapshot) uint64 { return s.totals.Datagrams }),
		metrics.Counter("flowgate_flow_queue_drops_total", "Datagrams dropped because a decode queue was full.", func(s *snapshot) uint64 { return s.totals.QueueDrops }),
		metrics.Counter("flowgate_flow_kernel_drops_total", "Datagrams the kernel dropped on the listening port (receive buffer full, /proc/net/udp).", func(s *snapshot) uint64 { return s.totals.KernelDrops }),
		metrics.Counter("flowgate_flow_exporters_overflow_total", "Datagrams refused because the exporter table was full.", func(s *snapshot) uint64 { return s.totals.Overflow }),
		per("flowgate_flow_exporter_packets_total", "Datagrams received per exporter.", func(e *ExporterStats) uint64 { return e.Packets }),
		per("flowgate_flow_exporter_records_total", "Flow records decoded per exporter.", func(e *ExporterStats) uint64 { return e.Records }),
		per("flowgate_flow_exporter_interface_samples_total", "sFlow interface counter samples decoded per exporter.", func(e *ExporterStats) uint64 { return e.Counters }),
		per("flowgate_flow_exporter_template_misses_total", "Data sets received before their template, per exporter.", func(e *ExporterStats) uint64 { return e.TemplateMisses }),
		per("flowgate_flow_exporter_sequence_gaps_total", "Gaps in the exporter's sequence numbers.", func(e *ExporterStats) uint64 { return e.SequenceGaps }),
		per("flowgate_flow_exporter_lost_total", "Records (v5, IPFIX) or datagrams (v9, sFlow) missing per the sequence numbers.", func(e *ExporterStats) uint64 { return e.LostRecords }),
		metrics.CounterVec("flowgate_flow_exporter_decode_errors_total", "Datagrams or parts refused per exporter, by reason.", []string{"exporter", "reason"}, func(s *snapshot, emit func(uint64, ...string)) {
			for i := range s.exporters {
				for reason, n := range s.exporters[i].Errors {
					emit(n, s.exporters[i].Exporter, reason)
				}
			}
		}),
	)
	return metrics.Register(prometheus.WrapRegistererWith(prometheus.Labels{"ifname": c.iface.Name()}, r), fams)
}
