package categories

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the flowgate_custom_categor* families.
func (s *Store) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.Counters,
		metrics.Gauge("flowgate_custom_category_hosts", "Host names, addresses and networks in the custom categories.", func(c *Counters) float64 { return float64(c.Hosts) }),
		metrics.Counter("flowgate_custom_category_changes_total", "Custom category and application changes applied.", func(c *Counters) uint64 { return c.Changes }),
		metrics.Counter("flowgate_custom_category_lookups_total", "Flows whose category was looked up.", func(c *Counters) uint64 { return c.Lookups }),
		metrics.Counter("flowgate_custom_category_flows_total", "Flows given a custom category.", func(c *Counters) uint64 { return c.Recategory }),
	))
}
