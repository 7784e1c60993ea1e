package wire

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"flowgate/engine"
)

// The rare topics (event, counter, listening-ports, snmp-ifaces, option,
// template) use encoding/json: they arrive a few times a minute.

// decodeObject parses body as one JSON object with numbers kept exact.
func decodeObject(what string, body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonErr(what, err)
	}
	if dec.More() {
		return nil, errorf(ReasonJSONSyntax, "%s: trailing data after JSON value", what)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(ReasonJSONType, "%s: payload is not a JSON object", what)
	}
	return m, nil
}

// path walks nested objects: path(m, "probe", "ip").
func path(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// num reads a JSON number (integer or float, truncated) or a decimal
// string; anything else is 0.
func num(v any) uint64 {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return uint64(n)
		}
		if f, err := x.Float64(); err == nil && f >= 0 {
			return uint64(f)
		}
	case string:
		return uint64(atoi(x))
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	}
	return ""
}

// DecodeEvent decodes an `event` payload (§4.2): the probe's statistics.
// Every field is optional. sourceID is the header's source_id, which keys
// per-probe stats. zmq.num_exporters (5.2.1) is a fallback for
// zmq.num_zmq_exporters. Exporters are sorted by IP.
func DecodeEvent(body []byte, sourceID uint32) (engine.ProbeEvent, error) {
	e := engine.ProbeEvent{SourceID: sourceID}
	m, err := decodeObject("event", body)
	if err != nil {
		return e, err
	}
	e.Bytes = num(m["bytes"])
	e.Packets = num(m["packets"])
	e.PacketDrops = num(m["packet_drops"])
	e.IfName = text(path(m, "iface", "name"))
	e.IfSpeed = uint32(num(path(m, "iface", "speed")))
	e.IfIP = text(path(m, "iface", "ip"))
	e.Mode = text(m["mode"])
	e.PublicIP = text(path(m, "probe", "public_ip"))
	e.ProbeIP = text(path(m, "probe", "ip"))
	e.Version = text(path(m, "probe", "version"))
	e.OSName = text(path(m, "probe", "osname"))
	e.License = text(path(m, "probe", "license"))
	e.Edition = text(path(m, "probe", "edition"))
	e.Maintenance = text(path(m, "probe", "maintenance"))
	e.UUID = text(path(m, "probe", "uuid"))
	e.UniqueSourceID = num(path(m, "probe", "uuid_num"))
	if e.UniqueSourceID == 0 {
		e.UniqueSourceID = num(path(m, "probe", "unique_source_id"))
	}
	e.Time = uint32(num(m["time"]))
	e.AvgBps = num(path(m, "avg", "bps"))
	e.AvgPps = num(path(m, "avg", "pps"))
	e.TimeoutLifetime = uint32(num(path(m, "timeout", "lifetime")))
	e.TimeoutIdle = uint32(num(path(m, "timeout", "idle")))
	e.TimeoutCollectedLifetime = uint32(num(path(m, "timeout", "collected_lifetime")))
	e.DropsExportQueueFull = num(path(m, "drops", "export_queue_full"))
	e.DropsTooManyFlows = num(path(m, "drops", "too_many_flows"))
	e.DropsELK = num(path(m, "drops", "elk_flow_drops"))
	e.DropsSFlowSamples = num(path(m, "drops", "sflow_pkt_sample_drops"))
	e.DropsFlowCollection = num(path(m, "drops", "flow_collection_drops"))
	e.DropsUDPSocket = num(path(m, "drops", "flow_collection_udp_socket_drops"))
	e.NFIPFIXFlows = num(path(m, "flow_collection", "nf_ipfix_flows"))
	e.CollectionPort = uint32(num(path(m, "flow_collection", "collection_port")))
	e.SFlowSamples = num(path(m, "flow_collection", "sflow_samples"))
	e.NumFlowExports = num(path(m, "zmq", "num_flow_exports"))
	e.NumZMQExporters = num(path(m, "zmq", "num_zmq_exporters"))
	if path(m, "zmq", "num_zmq_exporters") == nil {
		e.NumZMQExporters = num(path(m, "zmq", "num_exporters"))
	}
	if ex, ok := path(m, "flow_collection", "exporters").(map[string]any); ok {
		for ip, v := range ex {
			o, ok := v.(map[string]any)
			if !ok {
				continue
			}
			e.Exporters = append(e.Exporters, engine.ExporterStats{
				IP:                   ip,
				TimeLastFlow:         uint32(num(o["time_last_flow"])),
				NumSFlowFlows:        num(o["num_sflow_flows"]),
				NumNetFlowIPFIXFlows: num(o["num_netflow_ipfix_flows"]),
				NumDrops:             num(o["num_drops"]),
				UniqueSourceID:       num(o["unique_source_id"]),
			})
		}
		sort.Slice(e.Exporters, func(i, j int) bool { return e.Exporters[i].IP < e.Exporters[j].IP })
	}
	return e, nil
}

// DecodeJSONCounter decodes a JSON `counter` payload (§4.3). deviceIP may
// be an integer (HEAD) or a dotted string (5.2.1); ifPromiscuousMode may be
// 1 or "1". Keys may also be the numeric ids "0".."15".
func DecodeJSONCounter(body []byte) (engine.CounterRecord, error) {
	var c engine.CounterRecord
	m, err := decodeObject("counter", body)
	if err != nil {
		return c, err
	}
	for k, raw := range m {
		id, ok := counterID(k)
		if !ok {
			_, n, isNum := parseNumericKey(k)
			if !isNum || n >= uint32(len(counterNames)) {
				continue // containers and unknown keys
			}
			id = int(n)
		}
		var v value
		switch x := raw.(type) {
		case string:
			v = value{kind: kindString, s: x}
		case json.Number:
			v = value{kind: kindUint, u: num(x)}
		default:
			continue
		}
		setCounter(&c, id, &v)
	}
	return c, nil
}

// DecodeListeningPorts decodes a `listening-ports` payload (§4.7). Ports
// are listed in tcp4, udp4, tcp6, udp6 order; unparsable addresses are
// skipped.
func DecodeListeningPorts(body []byte) (engine.ListeningPorts, error) {
	var lp engine.ListeningPorts
	m, err := decodeObject("listening-ports", body)
	if err != nil {
		return lp, err
	}
	lp.InstanceName = text(m["instance-name"])
	if addrs, ok := m["ip-addresses"].([]any); ok {
		for _, a := range addrs {
			if ip, err := netip.ParseAddr(text(a)); err == nil {
				lp.Addresses = append(lp.Addresses, ip.Unmap())
			}
		}
	}
	ports, _ := m["listening-ports"].(map[string]any)
	for _, proto := range [...]string{"tcp4", "udp4", "tcp6", "udp6"} {
		list, _ := ports[proto].([]any)
		for _, p := range list {
			o, ok := p.(map[string]any)
			if !ok {
				continue
			}
			lp.Ports = append(lp.Ports, engine.ListeningPort{
				Proto: proto, Port: uint16(num(o["port"])), Process: text(o["proc"]), Package: text(o["pkg"]),
			})
		}
	}
	return lp, nil
}

// DecodeSNMPIfaces decodes an `snmp-ifaces` payload (§4.8) into
// exporter IP → ifIndex → interface name. Non-numeric ifIndex keys are
// skipped; a non-object exporter entry is a json_type error.
func DecodeSNMPIfaces(body []byte) (map[string]map[uint32]string, error) {
	m, err := decodeObject("snmp-ifaces", body)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[uint32]string, len(m))
	for exp, v := range m {
		ifs, ok := v.(map[string]any)
		if !ok {
			return nil, errorf(ReasonJSONType, "snmp-ifaces: exporter %q: not an object", exp)
		}
		names := make(map[uint32]string, len(ifs))
		for idx, iv := range ifs {
			n, err := strconv.ParseUint(strings.TrimSpace(idx), 10, 32)
			if err != nil {
				continue
			}
			names[uint32(n)] = text(path(map[string]any{"x": iv}, "x", "name"))
		}
		out[exp] = names
	}
	return out, nil
}

// Option is an `option` message (§4.5): a value map for (PEN, field).
type Option struct {
	PEN, Field uint32
	Value      string // the mapped value as text (int or string on the wire)
	Map        string // the "map" object as JSON text
}

// DecodeOption decodes an `option` payload.
func DecodeOption(body []byte) (Option, error) {
	var o Option
	m, err := decodeObject("option", body)
	if err != nil {
		return o, err
	}
	o.PEN = uint32(num(m["PEN"]))
	o.Field = uint32(num(m["field"]))
	o.Value = text(m["value"])
	if mp, ok := m["map"]; ok {
		b, err := json.Marshal(mp)
		if err != nil {
			return o, &Error{Reason: ReasonJSONType, Msg: "option: map", Err: err}
		}
		o.Map = string(b)
	}
	return o, nil
}
