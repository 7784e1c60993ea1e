package web

import (
	"errors"
	"net/http"
	"strconv"

	"flowgate/snmp"
)

// proSNMPTopologyRoutes serves ntopng Pro's get/snmp/device/lldp.lua and
// bridge.lua?host=: the device's LLDP neighbours and learned MACs, walked
// now (docs/snmp-topology.md). host is required, with system.lua's codes.
func (s *Server) proSNMPTopologyRoutes(p *snmp.Poller) {
	s.mux.HandleFunc(proV2+"get/snmp/device/lldp.lua", func(w http.ResponseWriter, r *http.Request) {
		key, _, ok := readSNMPDevice(w, r, p, errSNMPUnknownDevice)
		if !ok {
			return
		}
		ns, err := p.LLDP(key)
		if !topologyOK(w, key, err) {
			return
		}
		out := make([]map[string]any, 0, len(ns))
		for _, n := range ns {
			out = append(out, map[string]any{"host": key, "local_port": n.LocalPort, "local_port_id": n.LocalPortID,
				"local_port_descr": n.LocalPortDescr, "if_index": n.IfIndex, "if_name": n.IfName,
				"remote_chassis_id": n.RemoteChassisID, "remote_port_id": n.RemotePortID,
				"remote_port_descr": n.RemotePortDescr, "remote_sysname": n.RemoteSysName})
		}
		writeOK(w, out)
	})
	s.mux.HandleFunc(proV2+"get/snmp/device/bridge.lua", func(w http.ResponseWriter, r *http.Request) {
		key, _, ok := readSNMPDevice(w, r, p, errSNMPUnknownDevice)
		if !ok {
			return
		}
		es, err := p.Bridge(key)
		if !topologyOK(w, key, err) {
			return
		}
		out := make([]map[string]any, 0, len(es))
		for _, e := range es {
			// vlan: dot1dTpFdbTable is the VLAN-unaware table.
			out = append(out, map[string]any{"host": key, "mac": e.MAC, "port": e.IfIndex, "bridge_port": e.BridgePort,
				"if_name": e.IfName, "status": fdbStatus(e.Status), "vlan": 0})
		}
		writeOK(w, out)
	})
}

var errSNMPUnreachable = restCode("snmp_device_unreachable")

// topologyOK writes the error of a failed walk.
func topologyOK(w http.ResponseWriter, key string, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, snmp.ErrNoDevice): // removed meanwhile
		writeUnknownSNMPDevice(w, errSNMPUnknownDevice, key)
	default:
		writeError(w, 0, errSNMPUnreachable, err.Error())
	}
	return false
}

// fdbStatus names dot1dTpFdbStatus values (BRIDGE-MIB).
func fdbStatus(v uint64) string {
	switch v {
	case 1:
		return "other"
	case 2:
		return "invalid"
	case 3:
		return "learned"
	case 4:
		return "self"
	case 5:
		return "mgmt"
	}
	return strconv.FormatUint(v, 10)
}
