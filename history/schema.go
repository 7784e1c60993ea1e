// Package history keeps ntopng's time series: the schema registry (names,
// steps, tags and metrics of ntopng's ts_second.lua, ts_minute.lua and
// ts_5min.lua), the write path (counters turned into per-second rates as
// ntopng's RRD driver does, subscribers such as an exporter seeing every
// sample), and the queries ts.lua answers (consolidation, statistics,
// top-k). The points are stored by history/tsdb; history/sampler fills
// them from the engine. docs/timeseries.md lists the schemas.
package history

import (
	"fmt"
	"sort"
	"strings"

	"flowgate/history/tsdb"
)

// MetricType is how a schema's values are stored.
type MetricType uint8

const (
	// Counter values only grow (bytes, packets); they are stored as
	// per-second rates between consecutive samples (rrdtool's DERIVE with
	// a minimum of 0: a value lower than the previous one, a counter reset,
	// leaves a gap).
	Counter MetricType = iota
	// Gauge values are stored as given (number of flows, hosts).
	Gauge
)

func (m MetricType) String() string {
	if m == Gauge {
		return "gauge"
	}
	return "counter"
}

// Schema is one of ntopng's time-series schemas.
type Schema struct {
	Name    string
	Step    int64 // seconds between samples
	Tags    []string
	Metrics []string
	Type    MetricType
	// Heartbeat is the longest gap (seconds) between two samples of a
	// counter that still gives a rate (rrdtool's heartbeat); longer gaps
	// are unknown. 2 × step, at least 60 s: an hourly roll-up of 100,000
	// hosts holds the writer for seconds (history/README.md), and the
	// 1 s series' rounds that waited behind it must not leave a gap.
	Heartbeat int64
	// Source is the ntopng file that defines it (docs/timeseries.md).
	Source string
}

// HasTag reports whether the schema has tag name.
func (s *Schema) HasTag(name string) bool {
	for _, t := range s.Tags {
		if t == name {
			return true
		}
	}
	return false
}

// key is the canonical tag string of the values (in the schema's tag
// order): "ifid=0,host=10.0.0.1". Values never contain '=' or ',' (Tags
// rejects them), so the string is unambiguous.
func (s *Schema) key(values []string) string {
	var b strings.Builder
	for i, t := range s.Tags {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t)
		b.WriteByte('=')
		b.WriteString(values[i])
	}
	return b.String()
}

// parseKey is key's inverse.
func (s *Schema) parseKey(k string) map[string]string {
	out := make(map[string]string, len(s.Tags))
	for _, kv := range strings.Split(k, ",") {
		if n, v, ok := strings.Cut(kv, "="); ok {
			out[n] = v
		}
	}
	return out
}

// TagValues orders tags as the schema's tags; every tag is required and
// no other is allowed.
func (s *Schema) TagValues(tags map[string]string) ([]string, error) {
	out := make([]string, len(s.Tags))
	for i, t := range s.Tags {
		v, ok := tags[t]
		if !ok || v == "" {
			return nil, fmt.Errorf("schema %s: missing tag %s", s.Name, t)
		}
		if err := CheckTagValue(v); err != nil {
			return nil, fmt.Errorf("schema %s: tag %s: %w", s.Name, t, err)
		}
		out[i] = v
	}
	for k := range tags {
		if !s.HasTag(k) {
			return nil, fmt.Errorf("schema %s has no tag %q", s.Name, k)
		}
	}
	return out, nil
}

// CheckTagValue says whether v can be a tag value: at most 128 bytes,
// none of '=' and ',' (the separators of a series' stored key) nor ';'
// (a ts_query separator, ntopng's too: a value holding it could not be
// asked for), no NUL or newline. A component whose entities become tag
// values (active monitoring's hosts) refuses the others up front.
func CheckTagValue(v string) error {
	if len(v) > 128 {
		return fmt.Errorf("value longer than 128 bytes")
	}
	if strings.ContainsAny(v, "=,;\x00\n") {
		return fmt.Errorf("value %q holds '=', ',', ';' or a control character", v)
	}
	return nil
}

var registry = map[string]*Schema{}

// register adds a schema at init (the only writes to the registry).
func register(name string, step int64, typ MetricType, source string, tags, metrics []string) *Schema {
	if _, dup := registry[name]; dup {
		panic("history: schema registered twice: " + name)
	}
	if len(metrics) == 0 || len(metrics) > tsdb.MaxMetrics {
		panic("history: schema " + name + ": too few or too many metrics")
	}
	s := &Schema{Name: name, Step: step, Tags: tags, Metrics: metrics, Type: typ, Heartbeat: max(2*step, 60), Source: source}
	registry[name] = s
	return s
}

// Lookup returns the schema called name, or nil.
func Lookup(name string) *Schema { return registry[name] }

// Schemas returns every registered schema, by name.
func Schemas() []*Schema {
	out := make([]*Schema, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// The schemas flowgate writes, with ntopng's names, steps, tags and
// metrics (docs/timeseries.md: which exist in ntopng and which are left
// out, and why).
var (
	ifid = []string{"ifid"}

	// ts_second.lua: 1 s interface series.
	IfaceTraffic     = register("iface:traffic", 1, Counter, "ts_second.lua", ifid, []string{"bytes"})
	IfaceTrafficRxTx = register("iface:traffic_rxtx", 1, Counter, "ts_second.lua", ifid, []string{"bytes_sent", "bytes_rcvd"})
	IfacePackets     = register("iface:packets", 1, Counter, "ts_second.lua", ifid, []string{"packets"})
	// The nProbe (ZMQ) collection counters of the interface.
	IfaceZMQRecvFlows    = register("iface:zmq_recv_flows", 1, Counter, "ts_second.lua", ifid, []string{"flows"})
	IfaceZMQRcvdMsgs     = register("iface:zmq_rcvd_msgs", 1, Counter, "ts_second.lua", ifid, []string{"msgs"})
	IfaceZMQMsgDrops     = register("iface:zmq_msg_drops", 1, Counter, "ts_second.lua", ifid, []string{"msgs"})
	IfaceZMQFlowCollDrop = register("iface:zmq_flow_coll_drops", 1, Counter, "ts_second.lua", ifid, []string{"drops"})
	IfaceZMQFlowUDPDrop  = register("iface:zmq_flow_coll_udp_drops", 1, Counter, "ts_second.lua", ifid, []string{"drops"})
	IfaceExportedFlows   = register("iface:exported_flows", 1, Counter, "ts_second.lua", ifid, []string{"num_flows"})
	IfaceDroppedFlows    = register("iface:dropped_flows", 1, Counter, "ts_second.lua", ifid, []string{"num_flows"})

	// ts_minute.lua: 60 s interface and network series.
	IfaceNDPI         = register("iface:ndpi", 60, Counter, "ts_minute.lua", []string{"ifid", "protocol"}, []string{"bytes"})
	IfaceFlows        = register("iface:flows", 60, Gauge, "ts_minute.lua", ifid, []string{"num_flows"})
	IfaceHosts        = register("iface:hosts", 60, Gauge, "ts_minute.lua", ifid, []string{"num_hosts"})
	IfaceLocalHosts   = register("iface:local_hosts", 60, Gauge, "ts_minute.lua", ifid, []string{"num_hosts"})
	IfaceNewFlows     = register("iface:new_flows", 60, Counter, "ts_minute.lua", ifid, []string{"new_flows"})
	IfaceLocal2Remote = register("iface:local2remote", 60, Counter, "ts_minute.lua", ifid, []string{"bytes"})
	IfaceRemote2Local = register("iface:remote2local", 60, Counter, "ts_minute.lua", ifid, []string{"bytes"})
	IfaceTCPRetrans   = register("iface:tcp_retransmissions", 60, Counter, "ts_minute.lua", ifid, []string{"packets"})
	IfaceTCPOOO       = register("iface:tcp_out_of_order", 60, Counter, "ts_minute.lua", ifid, []string{"packets"})
	IfaceTCPLost      = register("iface:tcp_lost", 60, Counter, "ts_minute.lua", ifid, []string{"packets"})
	SubnetTraffic     = register("subnet:traffic", 60, Counter, "ts_minute.lua", []string{"ifid", "subnet"}, []string{"bytes_ingress", "bytes_egress", "bytes_inner"})

	// ts_5min.lua: 300 s series of local hosts and SNMP interfaces.
	HostTraffic = register("host:traffic", 300, Counter, "ts_5min.lua", []string{"ifid", "host"}, []string{"bytes_sent", "bytes_rcvd"})
	HostNDPI    = register("host:ndpi", 300, Counter, "ts_5min.lua", []string{"ifid", "host", "protocol"}, []string{"bytes_sent", "bytes_rcvd"})
	HostL4      = register("host:l4protos", 300, Counter, "ts_5min.lua", []string{"ifid", "host", "l4proto"}, []string{"bytes_sent", "bytes_rcvd"})
	HostFlows   = register("host:active_flows", 300, Gauge, "ts_5min.lua", []string{"ifid", "host"}, []string{"flows_as_client", "flows_as_server"})
	// flowgate's own: the SNMP poller's points as its REST serves them
	// (rates in bit/s, error deltas and oper status at poll time), the
	// series that replaced the per-device files of snmp/. Not an ntopng
	// schema (ntopng keeps them in its SNMP module's own files).
	SNMPIfPoll    = register("flowgate:snmp_if", 60, Gauge, "flowgate", []string{"device", "if_index"}, []string{"in_bps", "out_bps", "in_errors", "out_errors", "oper_status"})
	SNMPIfTraffic = func() *Schema {
		s := register("snmp_if:traffic", 300, Counter, "ts_5min.lua", []string{"ifid", "device", "if_index"}, []string{"bytes_sent", "bytes_rcvd"})
		s.Heartbeat = 3000 // ntopng's rrd_heartbeat for SNMP interfaces
		return s
	}()
)

// amGranularities are active monitoring's round granularities, the suffix
// of its schema names (ntopng's am_host:val_min, _5mins, _hour), their
// steps and the ntopng file that defines them.
var amGranularities = []struct {
	name   string
	step   int64
	source string
}{{"min", 60, "ts_minute.lua"}, {"5mins", 300, "ts_5min.lua"}, {"hour", 3600, "ts_hour.lua"}}

// Active monitoring's series (ntopng's ts_minute.lua, ts_5min.lua and
// ts_hour.lua, "system" schemas of the system interface, ifid -1), gauges
// in ms tagged with the monitored host and the measurement ("metric":
// icmp, http, ...): am_host:val_<g> is every measurement (0 when the host
// did not answer), am_host:http_stats_<g> and am_host:https_stats_<g> the
// phases of an HTTP(S) request. Written by activemon.
func init() {
	tags := []string{"ifid", "host", "metric"}
	for _, g := range amGranularities {
		register("am_host:val_"+g.name, g.step, Gauge, g.source, tags, []string{"value"})
		register("am_host:http_stats_"+g.name, g.step, Gauge, g.source, tags, []string{"lookup_ms", "other_ms"})
		register("am_host:https_stats_"+g.name, g.step, Gauge, g.source, tags, []string{"lookup_ms", "connect_ms", "other_ms"})
	}
}
