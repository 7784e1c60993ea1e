package web

import (
	"net/http"
	"net/netip"
	"sort"

	"flowgate/engine"
	"flowgate/snmp"
)

// maxSNMPPortRows bounds one answer of get/host/snmp_ports.lua: a host is
// seen on a few ports; a scan of many exporters must not make the page huge.
const maxSNMPPortRows = 64

// snmpPortKey is one SNMP port: an exporter and an ifIndex it reported.
type snmpPortKey struct {
	exporter netip.Addr
	index    uint32
}

// snmpPortRow is one port of a host, summed over its active flows.
type snmpPortRow struct {
	snmpPortKey
	flows      int
	sent, rcvd uint64 // what the host sent / received through the port
}

// getHostSNMPPorts is flowgate's get/host/snmp_ports.lua (ifid,
// host[@vlan]): the (exporter, ifIndex) pairs the host's active flows were
// reported on, on the host's side of each flow, with their flows and bytes,
// by bytes (at most 64, "totalRows" counts them all). The host's side: in
// flow orientation the exporter saw the client→server packets enter on
// InIfIndex, so the client's port is InIfIndex and the server's OutIfIndex
// (the rule of the SNMP poller's per-interface flow counters). Flows
// without that ifIndex (0) are left out. When the exporter address is a
// polled SNMP device (HandleSNMP), the row names the device and, when its
// ifTable has the index, the interface ("correlated": true).
func (s *Server) getHostSNMPPorts(w http.ResponseWriter, r *http.Request) {
	_, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	var rows []snmpPortRow
	timedRead := func(fn func(*engine.Tables)) { timedTables(w, i.Read, fn) } // Server-Timing, as the other UI reads
	if !withHostIn(w, timedRead, ip, vlan, func(t *engine.Tables, _ *engine.Host) {
		idx := map[snmpPortKey]int{}
		t.Flows(func(f *engine.Flow) bool {
			if f.VLAN() != vlan {
				return true
			}
			var ifIndex uint32
			var sent, rcvd uint64
			switch ip {
			case f.Client():
				ifIndex, sent, rcvd = f.InIfIndex, f.CliBytes, f.SrvBytes
			case f.Server():
				ifIndex, sent, rcvd = f.OutIfIndex, f.SrvBytes, f.CliBytes
			default:
				return true
			}
			if ifIndex == 0 {
				return true
			}
			exp := t.FlowExporter(f)
			if !exp.IsValid() {
				return true
			}
			k := snmpPortKey{exp.Unmap(), ifIndex}
			n, ok := idx[k]
			if !ok {
				n = len(rows)
				idx[k] = n
				rows = append(rows, snmpPortRow{snmpPortKey: k})
			}
			row := &rows[n]
			row.flows++
			row.sent += sent
			row.rcvd += rcvd
			return true
		})
	}) {
		return
	}
	// Most bytes first; ties by exporter and index, the same on every call.
	sort.Slice(rows, func(a, b int) bool {
		x, y := &rows[a], &rows[b]
		if tx, ty := x.sent+x.rcvd, y.sent+y.rcvd; tx != ty {
			return tx > ty
		}
		if x.exporter != y.exporter {
			return x.exporter.Less(y.exporter)
		}
		return x.index < y.index
	})
	total := len(rows)
	rows = rows[:min(total, maxSNMPPortRows)]
	data := make([]map[string]any, 0, len(rows))
	for _, row := range rows {
		out := map[string]any{
			"exporter_ip": row.exporter.String(), "if_index": row.index, "num_flows": row.flows,
			"bytes":      map[string]uint64{"sent": row.sent, "rcvd": row.rcvd, "total": row.sent + row.rcvd},
			"correlated": false,
		}
		var d snmp.DeviceStatus
		polled := false
		if s.snmpPoller != nil {
			d, polled = s.snmpPoller.DeviceAt(row.exporter)
		}
		if polled {
			out["correlated"] = true
			out["device_key"], out["device_name"] = d.Key, snmpDeviceName(d)
			if ifc, ok := s.snmpPoller.Interface(d.Key, row.index); ok {
				out["if_name"], out["if_alias"], out["if_status"] = ifc.Name, ifc.Alias, snmp.OperStatusName(ifc.OperStatus)
			}
		}
		data = append(data, out)
	}
	writeOK(w, map[string]any{"data": data, "totalRows": total})
}

// snmpDeviceName is a device's label, else its sysName, else its key.
func snmpDeviceName(d snmp.DeviceStatus) string {
	switch {
	case d.Config.Name != "":
		return d.Config.Name
	case d.System.Name != "":
		return d.System.Name
	}
	return d.Key
}
