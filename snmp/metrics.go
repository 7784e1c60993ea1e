package snmp

import (
	"fmt"
	"io"
)

// WriteMetrics writes the poller's Prometheus counters (for
// web.Dependencies.Metrics).
func (p *Poller) WriteMetrics(w io.Writer) {
	c := p.Counters()
	fmt.Fprintf(w, "# TYPE flowgate_snmp_polls_total counter\nflowgate_snmp_polls_total %d\n", c.Polls)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_poll_errors_total counter\nflowgate_snmp_poll_errors_total %d\n", c.PollErrors)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_requests_total counter\nflowgate_snmp_requests_total %d\n", c.Requests)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_bad_values_total counter\nflowgate_snmp_bad_values_total %d\n", c.BadValues)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_reboots_total counter\nflowgate_snmp_reboots_total %d\n", c.Reboots)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_devices gauge\nflowgate_snmp_devices %d\n", c.Devices)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_devices_unreachable gauge\nflowgate_snmp_devices_unreachable %d\n", c.Unreachable)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_series_records_total counter\nflowgate_snmp_series_records_total %d\n", c.SeriesRecords)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_series_errors_total counter\nflowgate_snmp_series_errors_total %d\n", c.SeriesErrors)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_series_repairs_total counter\nflowgate_snmp_series_repairs_total %d\n", c.SeriesRepairs)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_series_compactions_total counter\nflowgate_snmp_series_compactions_total %d\n", c.SeriesCompactions)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_series_fsyncs_total counter\nflowgate_snmp_series_fsyncs_total %d\n", c.SeriesSyncs)
}

// WriteMetrics writes the trap receiver's Prometheus counters.
func (r *TrapReceiver) WriteMetrics(w io.Writer) {
	c := r.Counters()
	fmt.Fprintf(w, "# TYPE flowgate_snmp_trap_packets_total counter\nflowgate_snmp_trap_packets_total %d\n", c.Packets)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_traps_total counter\nflowgate_snmp_traps_total %d\n", c.Traps)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_informs_total counter\nflowgate_snmp_informs_total %d\n", c.Informs)
	fmt.Fprintf(w, "# TYPE flowgate_snmp_trap_drops_total counter\n")
	for _, x := range []struct {
		reason string
		n      uint64
	}{{"decode", c.DecodeErrors}, {"unknown_community", c.BadCommunity}, {"unknown_user", c.UnknownUser},
		{"not_a_trap", c.NotTrap}, {"disabled", c.Ignored}, {"script_queue_full", c.ScriptDrops}} {
		fmt.Fprintf(w, "flowgate_snmp_trap_drops_total{reason=%q} %d\n", x.reason, x.n)
	}
}
