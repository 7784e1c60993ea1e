package recipients

import (
	"fmt"
	"io"
	"strings"
)

// WriteMetrics writes per-recipient counters in the Prometheus text format
// (the HTTP server's /metrics calls it through Dependencies.Metrics).
func (m *Manager) WriteMetrics(w io.Writer) {
	stats := m.Stats()
	family := func(name, typ, help string, val func(s *Stats) float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for i := range stats {
			s := &stats[i]
			fmt.Fprintf(w, "%s{recipient=%q,endpoint=%q} %g\n", name, promLabel(s.Name), s.Kind, val(s))
		}
	}
	family("flowgate_recipient_enqueued_total", "counter", "Alerts queued for the recipient.", func(s *Stats) float64 { return float64(s.Enqueued) })
	family("flowgate_recipient_filtered_total", "counter", "Alerts the recipient's filter left out.", func(s *Stats) float64 { return float64(s.Filtered) })
	family("flowgate_recipient_sent_total", "counter", "Alerts the endpoint accepted.", func(s *Stats) float64 { return float64(s.Sent) })
	family("flowgate_recipient_failed_total", "counter", "Failed delivery attempts.", func(s *Stats) float64 { return float64(s.Failed) })
	family("flowgate_recipient_retried_total", "counter", "Alerts delivered after a retry.", func(s *Stats) float64 { return float64(s.Retried) })
	family("flowgate_recipient_dropped_total", "counter", "Alerts pushed out of a full queue.", func(s *Stats) float64 { return float64(s.Dropped) })
	family("flowgate_recipient_rejected_total", "counter", "Alerts the receiver refused for good.", func(s *Stats) float64 { return float64(s.Rejected) })
	family("flowgate_recipient_queue_errors_total", "counter", "Queue write or sync errors.", func(s *Stats) float64 { return float64(s.QueueErrors) })
	family("flowgate_recipient_queue_length", "gauge", "Alerts waiting in the queue.", func(s *Stats) float64 { return float64(s.QueueLen) })
	family("flowgate_recipient_last_success_seconds", "gauge", "Epoch of the last accepted delivery.", func(s *Stats) float64 { return float64(s.LastSuccess) })
}

func promLabel(s string) string { return strings.ReplaceAll(s, `"`, "") }
