package packet

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// counters is one scrape's reading of the collector's Stats; decode errors
// are the engine interface's (what the REST interface data shows under
// decode_errors).
type counters struct {
	packets, bytes, filtered, nonIP, fragments, orphans     uint64
	created, ended, tableFull, records, batches, batchDrops uint64
	retrans, ooo, zeroWin, readErrors, kernelDrops          uint64
	l7                                                      [4]uint64
	decodeErrors                                            map[string]uint64
}

func (c *Collector) counters() counters {
	s := &c.stats
	return counters{
		packets: s.Packets.Load(), bytes: s.Bytes.Load(), filtered: s.Filtered.Load(), nonIP: s.NonIP.Load(),
		fragments: s.Fragments.Load(), orphans: s.FragmentsOrphan.Load(),
		created: s.FlowsCreated.Load(), ended: s.FlowsEnded.Load(), tableFull: s.TableFull.Load(),
		records: s.Records.Load(), batches: s.Batches.Load(), batchDrops: s.BatchDrops.Load(),
		retrans: s.TCPRetransmissions.Load(), ooo: s.TCPOutOfOrder.Load(), zeroWin: s.TCPZeroWindow.Load(),
		readErrors: s.ReadErrors.Load(), kernelDrops: s.KernelDrops.Load(),
		l7:           [4]uint64{s.L7DNS.Load(), s.L7HTTP.Load(), s.L7TLS.Load(), s.L7QUIC.Load()},
		decodeErrors: c.iface.Collector().DecodeErrors(),
	}
}

// registerMetrics adds the flowgate_packet_* families, labelled with the
// interface's ifid.
func (c *Collector) registerMetrics(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	return metrics.Register(metrics.ForInterface(r, c.iface.ID()), metrics.NewCollector(c.counters,
		metrics.Counter("flowgate_packet_packets_total", "Packets read from the capture.", func(s *counters) uint64 { return s.packets }),
		metrics.Counter("flowgate_packet_bytes_total", "Wire bytes of the packets read.", func(s *counters) uint64 { return s.bytes }),
		metrics.Counter("flowgate_packet_filtered_total", "Packets the -B filter left out.", func(s *counters) uint64 { return s.filtered }),
		metrics.Counter("flowgate_packet_non_ip_total", "Well-formed packets without IP (ARP, LLDP, ...), ignored.", func(s *counters) uint64 { return s.nonIP }),
		metrics.Counter("flowgate_packet_fragments_total", "IP fragments.", func(s *counters) uint64 { return s.fragments }),
		metrics.Counter("flowgate_packet_orphan_fragments_total", "Later IP fragments whose first fragment was not seen.", func(s *counters) uint64 { return s.orphans }),
		metrics.Counter("flowgate_packet_flows_created_total", "Flows the packet tracker created.", func(s *counters) uint64 { return s.created }),
		metrics.Counter("flowgate_packet_flows_ended_total", "Flows the packet tracker ended.", func(s *counters) uint64 { return s.ended }),
		metrics.Counter("flowgate_packet_table_full_drops_total", "Packets of new flows dropped: the flow table was full.", func(s *counters) uint64 { return s.tableFull }),
		metrics.Counter("flowgate_packet_flow_records_total", "Flow records exported to the engine.", func(s *counters) uint64 { return s.records }),
		metrics.Counter("flowgate_packet_batches_total", "Batches of flow records handed to the engine.", func(s *counters) uint64 { return s.batches }),
		metrics.Counter("flowgate_packet_batch_drops_total", "Batches the engine queue refused (live capture).", func(s *counters) uint64 { return s.batchDrops }),
		metrics.Counter("flowgate_packet_tcp_retransmissions_total", "TCP retransmissions seen.", func(s *counters) uint64 { return s.retrans }),
		metrics.Counter("flowgate_packet_tcp_out_of_order_total", "TCP segments out of order.", func(s *counters) uint64 { return s.ooo }),
		metrics.Counter("flowgate_packet_tcp_zero_window_total", "TCP zero-window segments.", func(s *counters) uint64 { return s.zeroWin }),
		metrics.Counter("flowgate_packet_read_errors_total", "Capture read errors (open failure, truncated file, socket error).", func(s *counters) uint64 { return s.readErrors }),
		metrics.Counter("flowgate_packet_kernel_drops_total", "Packets the kernel dropped before AF_PACKET delivered them.", func(s *counters) uint64 { return s.kernelDrops }),
		metrics.CounterVec("flowgate_packet_l7_flows_total", "Flows classified by each built-in dissector.", []string{"dissector"}, func(s *counters, emit func(uint64, ...string)) {
			for i, name := range [4]string{"dns", "http", "tls", "quic"} {
				emit(s.l7[i], name)
			}
		}),
		metrics.CounterVec("flowgate_packet_decode_errors_total",
			"Packets that failed to decode (reason packet_*) and captures that failed to open or read (open, capture_read), by reason.",
			[]string{"reason"}, func(s *counters, emit func(uint64, ...string)) { metrics.Each(s.decodeErrors, emit) }),
	))
}
