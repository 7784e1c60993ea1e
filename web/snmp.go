package web

import (
	"errors"
	"net/http"
	"strconv"
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
	s.HandleConfigModule("snmp", snmpModule(p)) // rest_config.go
	s.proSNMPRoutes(p)                          // pro_snmp.go
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/list.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, p.Devices())
	})
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/interfaces.lua", func(w http.ResponseWriter, r *http.Request) {
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		ifs, ok := p.Interfaces(q["host"])
		if !ok {
			writeError(w, 0, errNotFound, "unknown SNMP device "+strconv.Quote(q["host"]))
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
				InErrs: i.InErrorsDelta, OutErrs: i.OutErrorsDelta, Role: p.InterfaceRole(q["host"], i.Index)}
		}
		writeOK(w, rows)
	})
	s.mux.HandleFunc("/lua/rest/v2/get/snmp/device/interface/timeseries.lua", func(w http.ResponseWriter, r *http.Request) {
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
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
		pts, ok := p.Series(q["host"], uint32(idx), since)
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
		d, err = p.AddDevice(d)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		st, _ := p.Device(d.Key())
		writeOK(w, st)
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
		if err := p.RemoveDevice(q["host"]); err != nil {
			if errors.Is(err, snmp.ErrNoDevice) {
				writeError(w, 0, errNotFound, err.Error())
			} else {
				writeError(w, http.StatusInternalServerError, errInvalidArgs, err.Error())
			}
			return
		}
		writeOK(w, map[string]any{})
	})
	s.mux.HandleFunc("/lua/rest/v2/poll/snmp/device.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		if _, ok := p.Device(q["host"]); !ok {
			writeError(w, 0, errNotFound, "unknown SNMP device "+strconv.Quote(q["host"]))
			return
		}
		_ = p.PollNow(q["host"]) // the outcome is in the status
		st, _ := p.Device(q["host"])
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
