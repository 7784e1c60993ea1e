package pools

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the flowgate_host_pool* families, read from the
// Counters that get/system/data.lua answers with.
func (s *Store) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.Counters,
		metrics.Gauge("flowgate_host_pools", "Host pools besides the default one.", func(c *Counters) float64 { return float64(c.Pools) }),
		metrics.Gauge("flowgate_host_pool_members", "Members of all host pools.", func(c *Counters) float64 { return float64(c.Members) }),
		metrics.Counter("flowgate_host_pool_changes_total", "Host pool changes applied (add, edit, delete, bind, import, reset).", func(c *Counters) uint64 { return c.Changes }),
		metrics.Counter("flowgate_host_pool_lookups_total", "Hosts matched against the pools.", func(c *Counters) uint64 { return c.Lookups }),
		metrics.Counter("flowgate_host_pool_matches_total", "Host lookups that found a pool other than the default.", func(c *Counters) uint64 { return c.Matched }),
	))
}
