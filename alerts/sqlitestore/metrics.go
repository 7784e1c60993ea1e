package sqlitestore

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the history's families to r (nil: none); they
// read Counters at scrape time.
func (d *DB) registerMetrics(r prometheus.Registerer) {
	c := func(name, help string, v func(*Counters) uint64) metrics.Family[Counters] {
		return metrics.Counter(name, help, v)
	}
	metrics.MustRegister(r, metrics.NewCollector(d.Counters,
		c("flowgate_alert_store_appended_total", "Alerts queued for the SQLite history.", func(c *Counters) uint64 { return c.Appended }),
		c("flowgate_alert_store_dropped_total", "Alerts not stored: queue full, store stopped or a failed transaction.", func(c *Counters) uint64 { return c.Dropped }),
		c("flowgate_alert_store_committed_total", "Alerts in committed transactions.", func(c *Counters) uint64 { return c.Committed }),
		c("flowgate_alert_store_transactions_total", "Insert transactions committed.", func(c *Counters) uint64 { return c.Transactions }),
		c("flowgate_alert_store_write_errors_total", "Failed write transactions.", func(c *Counters) uint64 { return c.WriteErrors }),
		c("flowgate_alert_store_expired_total", "Alerts removed by retention.", func(c *Counters) uint64 { return c.Expired }),
		c("flowgate_alert_store_acknowledged_total", "Alerts acknowledged.", func(c *Counters) uint64 { return c.Acknowledged }),
		c("flowgate_alert_store_deleted_total", "Alerts deleted by request.", func(c *Counters) uint64 { return c.Deleted }),
		c("flowgate_alert_store_checkpoints_total", "WAL checkpoints run beside the writer.", func(c *Counters) uint64 { return c.Checkpoints }),
		c("flowgate_alert_store_checkpoint_errors_total", "Failed WAL checkpoints.", func(c *Counters) uint64 { return c.CheckpointErrors }),
		metrics.Gauge("flowgate_alert_store_queue_length", "Alerts waiting for the writer.", func(c *Counters) float64 { return float64(c.Queued) }),
	))
}
