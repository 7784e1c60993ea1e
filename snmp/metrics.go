package snmp

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerMetrics adds the poller's flowgate_snmp_* families to r; they
// read the Counters the REST SNMP stats answer with.
func (p *Poller) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(p.Counters,
		metrics.Counter("flowgate_snmp_polls_total", "SNMP device polls.", func(c *Counters) uint64 { return c.Polls }),
		metrics.Counter("flowgate_snmp_poll_errors_total", "SNMP device polls that failed.", func(c *Counters) uint64 { return c.PollErrors }),
		metrics.Counter("flowgate_snmp_requests_total", "SNMP requests sent.", func(c *Counters) uint64 { return c.Requests }),
		metrics.Counter("flowgate_snmp_bad_values_total", "Varbinds of the wrong type, ignored.", func(c *Counters) uint64 { return c.BadValues }),
		metrics.Counter("flowgate_snmp_reboots_total", "Device reboots detected (sysUpTime went back).", func(c *Counters) uint64 { return c.Reboots }),
		metrics.Counter("flowgate_snmp_topology_walks_total", "On-demand LLDP or bridge table walks.", func(c *Counters) uint64 { return c.TopologyWalks }),
		metrics.Counter("flowgate_snmp_topology_walk_errors_total", "LLDP or bridge table walks that failed (timeout, agent error).", func(c *Counters) uint64 { return c.TopologyErrors }),
		metrics.Counter("flowgate_snmp_topology_walks_truncated_total", "LLDP or bridge table walks stopped at the 65536-row bound.", func(c *Counters) uint64 { return c.TopologyTruncated }),
		metrics.Gauge("flowgate_snmp_devices", "SNMP devices configured.", func(c *Counters) float64 { return float64(c.Devices) }),
		metrics.Gauge("flowgate_snmp_devices_unreachable", "SNMP devices whose last poll failed.", func(c *Counters) float64 { return float64(c.Unreachable) }),
		metrics.Counter("flowgate_snmp_series_records_total", "Interface series points written to disk.", func(c *Counters) uint64 { return c.SeriesRecords }),
		metrics.Counter("flowgate_snmp_series_errors_total", "Series file open, write or fsync failures.", func(c *Counters) uint64 { return c.SeriesErrors }),
		metrics.Counter("flowgate_snmp_series_repairs_total", "Torn or corrupt series file tails truncated.", func(c *Counters) uint64 { return c.SeriesRepairs }),
		metrics.Counter("flowgate_snmp_series_compactions_total", "Series files rewritten by age or size.", func(c *Counters) uint64 { return c.SeriesCompactions }),
		metrics.Counter("flowgate_snmp_series_fsyncs_total", "Series file fsyncs.", func(c *Counters) uint64 { return c.SeriesSyncs }),
	))
}

// registerMetrics adds the trap receiver's families to r.
func (r *TrapReceiver) registerMetrics(reg prometheus.Registerer) error {
	return metrics.Register(reg, metrics.NewCollector(r.Counters,
		metrics.Counter("flowgate_snmp_trap_packets_total", "UDP datagrams received on the trap socket.", func(c *TrapCounters) uint64 { return c.Packets }),
		metrics.Counter("flowgate_snmp_traps_total", "Traps accepted (v1, v2c and v3 traps and informs).", func(c *TrapCounters) uint64 { return c.Traps }),
		metrics.Counter("flowgate_snmp_informs_total", "Informs acknowledged.", func(c *TrapCounters) uint64 { return c.Informs }),
		metrics.Counter("flowgate_snmp_trap_engine_discoveries_total", "SNMPv3 engine discovery requests answered.", func(c *TrapCounters) uint64 { return c.Discovery }),
		metrics.Counter("flowgate_snmp_trap_reply_errors_total", "Inform acknowledgements or discovery replies that could not be sent.", func(c *TrapCounters) uint64 { return c.ReplyErrors }),
		metrics.Gauge("flowgate_snmp_trap_sources", "Distinct trap senders seen.", func(c *TrapCounters) float64 { return float64(c.Sources) }),
		metrics.CounterVec("flowgate_snmp_trap_drops_total", "Trap datagrams dropped, by reason.", []string{"reason"}, func(c *TrapCounters, emit func(uint64, ...string)) {
			emit(c.DecodeErrors, "decode")
			emit(c.BadCommunity, "unknown_community")
			emit(c.UnknownUser, "unknown_user")
			emit(c.NotTrap, "not_a_trap")
			emit(c.Ignored, "disabled")
			emit(c.ScriptDrops, "script_queue_full")
		}),
	))
}
