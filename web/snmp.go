package web

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"flowgate/snmp"
)

// HandleSNMP registers the SNMP REST endpoints: devices (list, add,
// delete, poll now), a device's interfaces with rates and flow traffic, an
// interface's time series, and the poller/trap counters. traps may be nil.
//
//	GET  /lua/rest/v2/get/snmp/device/list.lua
//	GET  /lua/rest/v2/get/snmp/device/interfaces.lua?host=KEY
//	GET  /lua/rest/v2/get/snmp/device/interface/timeseries.lua?host=KEY&if_index=N[&epoch_begin=T]
//	POST /lua/rest/v2/add/snmp/device.lua     {address, port, version, community | user, auth_protocol, ...}
//	POST /lua/rest/v2/delete/snmp/device.lua  {host}
//	POST /lua/rest/v2/poll/snmp/device.lua    {host}
//	GET  /lua/rest/v2/get/snmp/stats.lua
//
// KEY is the device address, with ":port" when the port is not 161.
func (s *Server) HandleSNMP(p *snmp.Poller, traps *snmp.TrapReceiver) {
	s.snmpPoller = p                            // names host ports (rest_host_snmp_ports.go)
	s.HandleConfigModule("snmp", snmpModule(p)) // rest_config.go
	s.proSNMPRoutes(p)                          // pro_snmp.go
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/list.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, p.Devices())
	})
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/interfaces.lua", func(w http.ResponseWriter, r *http.Request) {
		_, key, ok := readSNMPHost(w, r)
		if !ok {
			return
		}
		ifs, ok := p.Interfaces(key)
		if !ok {
			writeUnknownSNMPDevice(w, errNotFound, key)
			return
		}
		type row struct {
			snmp.Interface
			Status  string  `json:"status"`
			InBps   float64 `json:"in_bps"`
			OutBps  float64 `json:"out_bps"`
			InErrs  uint64  `json:"in_errors_delta"`
			OutErrs uint64  `json:"out_errors_delta"`
			Role    int     `json:"role"`
		}
		rows := make([]row, len(ifs))
		for k, i := range ifs {
			rows[k] = row{Interface: i, Status: snmp.OperStatusName(i.OperStatus), InBps: i.InBps, OutBps: i.OutBps,
				InErrs: i.InErrorsDelta, OutErrs: i.OutErrorsDelta, Role: p.InterfaceRole(key, i.Index)}
		}
		writeOK(w, rows)
	})
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/interface/timeseries.lua", func(w http.ResponseWriter, r *http.Request) {
		q, key, ok := readSNMPHost(w, r)
		if !ok {
			return
		}
		idx, err := strconv.ParseUint(q["if_index"], 10, 32)
		if err != nil {
			writeError(w, 0, errInvalidArgs, "bad if_index "+strconv.Quote(q["if_index"]))
			return
		}
		var since time.Time
		if v := q["epoch_begin"]; v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				writeError(w, 0, errInvalidArgs, "bad epoch_begin")
				return
			}
			since = time.Unix(n, 0)
		}
		pts, ok := p.Series(key, uint32(idx), since)
		if !ok {
			writeError(w, 0, errNotFound, "unknown SNMP device or interface")
			return
		}
		if pts == nil {
			pts = []snmp.Point{}
		}
		writeOK(w, pts)
	})
	s.mux.HandleFunc("/lua/rest/v2/add/snmp/device.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		d := snmp.DeviceConfig{Address: q["address"], Version: q["version"], Community: q["community"], User: q["user"],
			AuthProtocol: q["auth_protocol"], AuthPassword: q["auth_password"], PrivProtocol: q["priv_protocol"],
			PrivPassword: q["priv_password"], Context: q["context"], Name: q["name"]}
		if d.Address == "" {
			d.Address = q["host"]
		}
		for k, dst := range map[string]*int{"port": &d.Port, "poll_interval": &d.Interval} {
			if v := q[k]; v != "" {
				if *dst, err = strconv.Atoi(v); err != nil {
					writeError(w, 0, errInvalidArgs, "bad "+k)
					return
				}
			}
		}
		if st, ok := addSNMPDevice(w, p, d, snmpUpsert); ok {
			writeOK(w, st)
		}
	})
	s.mux.HandleFunc("/lua/rest/v2/delete/snmp/device.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		if s.removeSNMPDevice(w, p, q, errNotFound) {
			writeOK(w, map[string]any{})
		}
	})
	s.mux.HandleFunc("/lua/rest/v2/poll/snmp/device.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		key, _, ok := readSNMPDevice(w, r, p, errNotFound)
		if !ok {
			return
		}
		_ = p.PollNow(key) // the outcome is in the status
		st, _ := p.Device(key)
		writeOK(w, st)
	})
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/stats.lua", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"poller": p.Counters()}
		if traps != nil {
			out["traps"] = traps.Counters()
			out["trap_sources"] = traps.Sources()
		}
		writeOK(w, out)
	})
}

// readSNMPHost reads the request's parameters and its device key (host),
// answering INVALID_ARGUMENTS or readSNMPKey's errors.
func readSNMPHost(w http.ResponseWriter, r *http.Request) (params, string, bool) {
	q, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return nil, "", false
	}
	key, ok := readSNMPKey(w, q)
	return q, key, ok
}

// readSNMPDevice reads host and checks the device exists, the one lookup of
// the community and Pro paths; unknown is the rc of a device the poller
// lacks (community NOT_FOUND, Pro SNMP_UNKNOWN_DEVICE).
func readSNMPDevice(w http.ResponseWriter, r *http.Request, p *snmp.Poller, unknown restError) (string, snmp.DeviceStatus, bool) {
	_, key, ok := readSNMPHost(w, r)
	if !ok {
		return "", snmp.DeviceStatus{}, false
	}
	d, ok := p.Device(key)
	if !ok {
		writeUnknownSNMPDevice(w, unknown, key)
		return "", snmp.DeviceStatus{}, false
	}
	return key, d, true
}

// writeUnknownSNMPDevice answers rc for a device key the poller lacks.
func writeUnknownSNMPDevice(w http.ResponseWriter, rc restError, key string) {
	writeError(w, 0, rc, "unknown SNMP device "+strconv.Quote(key))
}

// readSNMPKey reads a device key (host): an address or name, with ":port"
// when the port is not 161. Missing is INVALID_ARGUMENTS, malformed
// INVALID_HOST, as for the other host parameters.
func readSNMPKey(w http.ResponseWriter, q params) (string, bool) {
	key := strings.TrimSpace(q["host"])
	if key == "" {
		writeError(w, 0, errInvalidArgs, "missing host")
		return "", false
	}
	h := key
	if host, port, err := net.SplitHostPort(key); err == nil {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			writeError(w, 0, errInvalidHost, "bad port in host "+quoteShort(key))
			return "", false
		}
		h = host
	}
	_, err := netip.ParseAddr(h)
	numeric := strings.Trim(h, "0123456789.") == ""
	if err != nil && (numeric || !validHostname(h)) {
		writeError(w, 0, errInvalidHost, "bad host "+quoteShort(key))
		return "", false
	}
	return key, true
}

// snmpAddMode is what addSNMPDevice expects of the device's existence.
type snmpAddMode int

const (
	snmpUpsert       snmpAddMode = iota // community add: adds or replaces
	snmpAddNew                          // Pro add: SNMP_DEVICE_ALREADY_ADDED when present
	snmpEditExisting                    // Pro edit: SNMP_UNKNOWN_DEVICE when absent
)

// addSNMPDevice is the one add of the community and Pro paths: the poller
// validates and persists d; the answer is the device's status.
func addSNMPDevice(w http.ResponseWriter, p *snmp.Poller, d snmp.DeviceConfig, mode snmpAddMode) (snmp.DeviceStatus, bool) {
	_, exists := p.Device(d.Key())
	switch {
	case mode == snmpEditExisting && !exists:
		writeUnknownSNMPDevice(w, errSNMPUnknownDevice, d.Key())
		return snmp.DeviceStatus{}, false
	case mode == snmpAddNew && exists:
		writeError(w, 0, errSNMPAlreadyAdded, "SNMP device "+d.Key()+" already added")
		return snmp.DeviceStatus{}, false
	}
	d, err := p.AddDevice(d)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return snmp.DeviceStatus{}, false
	}
	st, _ := p.Device(d.Key())
	return st, true
}

// removeSNMPDevice is the one delete of the community and Pro paths;
// unknown is the rc of a device the poller lacks (community NOT_FOUND, Pro
// SNMP_UNKNOWN_DEVICE).
func (s *Server) removeSNMPDevice(w http.ResponseWriter, p *snmp.Poller, q params, unknown restError) bool {
	key, ok := readSNMPKey(w, q)
	if !ok {
		return false
	}
	if err := p.RemoveDevice(key); err != nil {
		if errors.Is(err, snmp.ErrNoDevice) {
			writeError(w, 0, unknown, err.Error())
		} else {
			s.deps.Logger.Error("delete SNMP device", "host", key, "err", err)
			writeError(w, 0, errInternal, "cannot delete the device")
		}
		return false
	}
	return true
}
