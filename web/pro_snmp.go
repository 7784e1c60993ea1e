package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"flowgate/snmp"
)

const proV2 = "/lua/pro/rest/v2/"

var (
	errSNMPUnknownDevice = restCode("snmp_unknown_device")
	errSNMPAlreadyAdded  = restCode("snmp_device_already_added")
)

// proAlias serves a Pro path with the community handler of the same
// endpoint (same parameters and answer), when one is mounted.
func (s *Server) proAlias(pro, community string) {
	s.mux.HandleFunc(proV2+pro, func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/lua/rest/v2/" + community
		r2.Body = r.Body
		h, pattern := s.mux.Handler(r2)
		if pattern == "/lua/rest/v2/" || pattern == "" {
			writeError(w, http.StatusNotFound, errNotFound, "not available: "+community+" is not mounted")
			return
		}
		h.ServeHTTP(w, r2)
	})
}

// proSNMPRoutes serves ntopng Pro's SNMP device endpoints over the poller
// (HandleSNMP).
//
//	GET  get/snmp/device/list.lua, get/snmp/device/system.lua?host=, get/snmp/device/interfaces.lua?host=,
//	     get/snmp/device/lldp.lua?host=, get/snmp/device/bridge.lua?host= (pro_snmp_topology.go)
//	POST add/snmp/device.lua, edit/snmp/device/device.lua {snmp_host, snmp_version (0 v1, 1 v2c, 2 v3),
//	     snmp_read_community (v3: the user), snmp_level, snmp_auth_protocol, snmp_auth_passphrase,
//	     snmp_privacy_protocol, snmp_privacy_passphrase}
//	POST delete/snmp/device.lua {host}
//	get/snmp/device/alert/list|ts.lua, acknowledge|delete/snmp/device/alerts.lua: the alert store's
func (s *Server) proSNMPRoutes(p *snmp.Poller) {
	s.mux.HandleFunc(proV2+"get/snmp/device/list.lua", func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]any{}
		for _, d := range p.Devices() {
			out = append(out, proDevice(d))
		}
		writeOK(w, out)
	})
	s.mux.HandleFunc(proV2+"get/snmp/device/system.lua", func(w http.ResponseWriter, r *http.Request) {
		_, d, ok := readSNMPDevice(w, r, p, errSNMPUnknownDevice)
		if !ok {
			return
		}
		writeOK(w, map[string]any{"host": d.Key, "name": d.System.Name, "descr": d.System.Descr,
			"object_id": d.System.ObjectID, "contact": d.System.Contact, "location": d.System.Location,
			"uptime": d.System.UpTime / 100, "num_interfaces": d.NumIfaces})
	})
	s.proAlias("get/snmp/device/interfaces.lua", "get/snmp/device/interfaces.lua")
	s.proSNMPTopologyRoutes(p)
	add := func(mode snmpAddMode) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !isPost(w, r) {
				return
			}
			q, err := readParams(r)
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return
			}
			d, err := proDeviceConfig(q)
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return
			}
			if st, ok := addSNMPDevice(w, p, d, mode); ok {
				writeOK(w, proDevice(st))
			}
		}
	}
	s.mux.HandleFunc(proV2+"add/snmp/device.lua", add(snmpAddNew))
	s.mux.HandleFunc(proV2+"edit/snmp/device/device.lua", add(snmpEditExisting))
	s.mux.HandleFunc(proV2+"delete/snmp/device.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		if s.removeSNMPDevice(w, p, q, errSNMPUnknownDevice) {
			writeSuccess(w, "SNMP_DEVICE_DELETED_SUCCESSFULLY", "SNMP device deleted", nil)
		}
	})
	for _, a := range [][2]string{
		{"get/snmp/device/alert/list.lua", "get/snmp/device/alert/list.lua"},
		{"get/snmp/device/alert/ts.lua", "get/snmp/device/alert/ts.lua"},
		{"acknowledge/snmp/device/alerts.lua", "acknowledge/snmp/device/alerts.lua"},
		{"delete/snmp/device/alerts.lua", "delete/snmp/device/alerts.lua"},
	} {
		s.proAlias(a[0], a[1])
	}
}

// proDevice is a device row of Pro's device list.
func proDevice(d snmp.DeviceStatus) map[string]any {
	status := "unreachable"
	if d.Reachable {
		status = "reachable"
	}
	var lastPoll int64
	if !d.LastPoll.IsZero() {
		lastPoll = d.LastPoll.Unix()
	}
	return map[string]any{"ip": d.Config.Address, "host": d.Key, "column_key": d.Key,
		"name": d.System.Name, "description": d.System.Descr, "location": d.System.Location,
		"contact": d.System.Contact, "version": ntopngSNMPVersion(d.Config.Version), "status": status,
		"uptime": d.System.UpTime / 100, "num_interfaces": d.NumIfaces, "last_poll": lastPoll,
		"last_error": d.LastError}
}

// ntopng numbers SNMP versions 0 (v1), 1 (v2c), 2 (v3).
func ntopngSNMPVersion(v string) int {
	switch v {
	case "1":
		return 0
	case "3":
		return 2
	}
	return 1
}

// proDeviceConfig reads Pro's add/edit parameters.
func proDeviceConfig(q params) (snmp.DeviceConfig, error) {
	host := strings.TrimSpace(q["snmp_host"])
	if host == "" {
		return snmp.DeviceConfig{}, errors.New("missing snmp_host")
	}
	d := snmp.DeviceConfig{Address: host}
	if h, port, ok := strings.Cut(host, ":"); ok && !strings.Contains(port, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return d, errors.New("bad snmp_host port")
		}
		d.Address, d.Port = h, n
	}
	switch q["snmp_version"] {
	case "0", "v1":
		d.Version = "1"
	case "", "1", "2c", "v2c":
		d.Version = "2c"
	case "2", "3", "v3":
		d.Version = "3"
	default:
		return d, errors.New("bad snmp_version (0: v1, 1: v2c, 2: v3)")
	}
	if d.Version == "3" {
		d.User = q["snmp_read_community"]
		level := q["snmp_level"]
		if level == "authNoPriv" || level == "authPriv" {
			d.AuthProtocol, d.AuthPassword = strings.ToUpper(q["snmp_auth_protocol"]), q["snmp_auth_passphrase"]
		}
		if level == "authPriv" {
			d.PrivProtocol, d.PrivPassword = strings.ToUpper(q["snmp_privacy_protocol"]), q["snmp_privacy_passphrase"]
		}
		if level != "" && level != "noAuthNoPriv" && level != "authNoPriv" && level != "authPriv" {
			return d, errors.New("bad snmp_level (noAuthNoPriv, authNoPriv, authPriv)")
		}
	} else {
		d.Community = q["snmp_read_community"]
		if d.Community == "" {
			return d, errors.New("missing snmp_read_community")
		}
	}
	return d, nil
}
