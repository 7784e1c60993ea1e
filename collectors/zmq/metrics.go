package zmq

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/collectors/zmq/zmtp"
	"flowgate/internal/metrics"
)

// snapshot is one scrape's reading of the collector's counters: the engine
// interface's collector counters (which the REST zmqRecvStats reads too)
// and the socket's transport counters.
type snapshot struct {
	msgs, lost, records uint64
	topics              [9]uint64
	errors              map[string]uint64
	sock                zmtp.Stats
}

// topicNames are the topic label values, in the order of snapshot.topics.
var topicNames = [9]string{"flow", "event", "counter", "template", "option", "hello", "listening-ports", "snmp-ifaces", "other"}

func (c *Collector) snapshot() snapshot {
	s := c.stats
	return snapshot{
		msgs: s.MsgsRcvd.Load(), lost: s.MsgDrops.Load(), records: s.FlowRecords.Load(),
		topics: [9]uint64{s.Flows.Load(), s.Events.Load(), s.Counters.Load(), s.Templates.Load(), s.Options.Load(),
			s.Hello.Load(), s.ListeningPorts.Load(), s.SNMPIfaces.Load(), s.Messages.Load()},
		errors: s.DecodeErrors(),
		sock:   c.Socket(),
	}
}

// registerMetrics adds the collector's families, labelled with its
// interface: flowgate_zmq_* (ifid, ifname) and flowgate_zmtp_* (ifid).
func (c *Collector) registerMetrics(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	r = metrics.ForInterface(r, c.iface.ID())
	zmqFamilies := metrics.NewCollector(c.snapshot,
		metrics.Counter("flowgate_zmq_messages_total", "ZMQ messages received.", func(s *snapshot) uint64 { return s.msgs }),
		metrics.Counter("flowgate_zmq_lost_messages_total", "ZMQ messages lost, per gaps in the probes' msg_id sequences.", func(s *snapshot) uint64 { return s.lost }),
		metrics.Counter("flowgate_zmq_flow_records_total", "Flow records decoded from ZMQ messages (before the engine's limits).", func(s *snapshot) uint64 { return s.records }),
		metrics.CounterVec("flowgate_zmq_topic_messages_total", "ZMQ messages by topic.", []string{"topic"}, func(s *snapshot, emit func(uint64, ...string)) {
			for i, n := range s.topics {
				emit(n, topicNames[i])
			}
		}),
		metrics.CounterVec("flowgate_zmq_decode_errors_total", "ZMQ messages (or parts of them) rejected, by reason.", []string{"reason"}, func(s *snapshot, emit func(uint64, ...string)) {
			metrics.Each(s.errors, emit)
		}),
	)
	sockFamilies := metrics.NewCollector(c.snapshot,
		metrics.CounterVec("flowgate_zmtp_connections_total", "ZMTP connections accepted on bound endpoints or dialed to probes.", []string{"kind"}, func(s *snapshot, emit func(uint64, ...string)) {
			emit(s.sock.Accepted, "accepted")
			emit(s.sock.Dialed, "dialed")
		}),
		metrics.Counter("flowgate_zmtp_dial_failures_total", "Failed outbound ZMTP connection attempts.", func(s *snapshot) uint64 { return s.sock.DialFailures }),
		metrics.Counter("flowgate_zmtp_handshakes_total", "ZMTP handshakes completed.", func(s *snapshot) uint64 { return s.sock.Handshakes }),
		metrics.CounterVec("flowgate_zmtp_handshake_failures_total", "Failed ZMTP handshakes, by reason.", []string{"reason"}, func(s *snapshot, emit func(uint64, ...string)) {
			hs := s.sock.Handshake
			emit(hs.BadGreeting, "bad_greeting")
			emit(hs.BadVersion, "bad_version")
			emit(hs.Mechanism, "mechanism")
			emit(hs.CurveAuth, "curve_auth")
			emit(hs.SocketType, "socket_type")
			emit(hs.Protocol, "protocol")
			emit(hs.IO, "io")
		}),
		metrics.Gauge("flowgate_zmtp_peers", "ZMTP connections past the handshake.", func(s *snapshot) float64 { return float64(s.sock.Peers) }),
		metrics.Counter("flowgate_zmtp_received_bytes_total", "Frame bytes of the ZMTP messages received.", func(s *snapshot) uint64 { return s.sock.Bytes }),
		metrics.Counter("flowgate_zmtp_buffer_allocations_total", "Frame storage arrays allocated for received ZMTP messages (none released was free or large enough).", func(s *snapshot) uint64 { return s.sock.BufferAllocs }),
		metrics.CounterVec("flowgate_zmtp_closed_connections_total", "ZMTP connections closed by flowgate, by reason.", []string{"reason"}, func(s *snapshot, emit func(uint64, ...string)) {
			emit(s.sock.Oversized, "oversized")
			emit(s.sock.Protocol, "protocol")
			emit(s.sock.Truncated, "truncated")
		}),
		metrics.Counter("flowgate_zmtp_disconnects_total", "Established ZMTP connections that ended.", func(s *snapshot) uint64 { return s.sock.Disconnects }),
	)
	if err := metrics.Register(prometheus.WrapRegistererWith(prometheus.Labels{"ifname": c.iface.Name()}, r), zmqFamilies); err != nil {
		return err
	}
	return metrics.Register(r, sockFamilies)
}
