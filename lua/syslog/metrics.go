package syslog

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the per-producer families (labels ifid, producer)
// to r; they read the Stats the REST syslog/stats.lua answers with.
func (r *Runtime) registerMetrics(reg prometheus.Registerer) {
	type rows = []ProducerStats
	per := func(name, help string, v func(*ProducerStats) uint64) metrics.Family[rows] {
		return metrics.CounterVec(name, help, []string{"producer"}, func(s *rows, emit func(uint64, ...string)) {
			for i := range *s {
				emit(v(&(*s)[i]), (*s)[i].Producer)
			}
		})
	}
	metrics.MustRegister(metrics.ForInterface(reg, r.iface.ID()), metrics.NewCollector(r.Stats,
		per("flowgate_syslog_producer_received_total", "Syslog events routed to the producer.", func(s *ProducerStats) uint64 { return s.Received }),
		per("flowgate_syslog_producer_handled_total", "handleEvent calls that returned.", func(s *ProducerStats) uint64 { return s.Handled }),
		per("flowgate_syslog_producer_dropped_total", "Events dropped: the producer's queue was full.", func(s *ProducerStats) uint64 { return s.Dropped }),
		per("flowgate_syslog_producer_errors_total", "handleEvent calls that raised (timeouts included).", func(s *ProducerStats) uint64 { return s.Errors }),
		per("flowgate_syslog_producer_unhandled_total", "Events without a handler, or reported unhandled by it.", func(s *ProducerStats) uint64 { return s.Unhandled }),
		per("flowgate_syslog_producer_malformed_total", "Events the handler reported malformed.", func(s *ProducerStats) uint64 { return s.Malformed }),
		per("flowgate_syslog_producer_alerts_total", "Alerts the handler reported.", func(s *ProducerStats) uint64 { return s.Alerts }),
		per("flowgate_syslog_producer_flows_total", "Flows the handler reported.", func(s *ProducerStats) uint64 { return s.Flows }),
		per("flowgate_syslog_producer_host_correlations_total", "Host correlations the handler reported.", func(s *ProducerStats) uint64 { return s.HostCorrelations }),
	))
}
