package recipients

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the per-recipient families (labels recipient,
// endpoint) to r; they read the Stats the REST recipient list shows.
func (m *Manager) registerMetrics(r prometheus.Registerer) {
	type rows = []Stats
	per := func(name, help string, typ prometheus.ValueType, v func(*Stats) float64) metrics.Family[rows] {
		return metrics.Vec(name, help, typ, []string{"recipient", "endpoint"}, func(s *rows, emit func(float64, ...string)) {
			for i := range *s {
				st := &(*s)[i]
				emit(v(st), st.Name, st.Kind)
			}
		})
	}
	counter := func(name, help string, v func(*Stats) uint64) metrics.Family[rows] {
		return per(name, help, prometheus.CounterValue, func(s *Stats) float64 { return float64(v(s)) })
	}
	metrics.MustRegister(r, metrics.NewCollector(m.Stats,
		counter("flowgate_recipient_enqueued_total", "Alerts queued for the recipient.", func(s *Stats) uint64 { return s.Enqueued }),
		counter("flowgate_recipient_filtered_total", "Alerts the recipient's filter left out.", func(s *Stats) uint64 { return s.Filtered }),
		counter("flowgate_recipient_sent_total", "Alerts the endpoint accepted.", func(s *Stats) uint64 { return s.Sent }),
		counter("flowgate_recipient_failed_total", "Failed delivery attempts.", func(s *Stats) uint64 { return s.Failed }),
		counter("flowgate_recipient_retried_total", "Alerts delivered after a retry.", func(s *Stats) uint64 { return s.Retried }),
		counter("flowgate_recipient_dropped_total", "Alerts pushed out of a full queue.", func(s *Stats) uint64 { return s.Dropped }),
		counter("flowgate_recipient_rejected_total", "Alerts the receiver refused for good.", func(s *Stats) uint64 { return s.Rejected }),
		counter("flowgate_recipient_queue_errors_total", "Queue write or sync errors.", func(s *Stats) uint64 { return s.QueueErrors }),
		per("flowgate_recipient_queue_length", "Alerts waiting in the queue.", prometheus.GaugeValue, func(s *Stats) float64 { return float64(s.QueueLen) }),
		per("flowgate_recipient_last_success_seconds", "Unix time of the last accepted delivery (0: none yet).", prometheus.GaugeValue,
			func(s *Stats) float64 { return float64(s.LastSuccess) }),
	))
}
