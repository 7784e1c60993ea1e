package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"flowgate/alerts"
	"flowgate/engine"
)

// ntopng's hash keys of host aliases and notes (lua_utils getHostAltNamesKey,
// getHostNotesKey), field "ip@vlan".
const (
	hostLabelsKey = "ntopng.host_labels"
	hostNotesKey  = "ntopng.host_notes"
	maxNotesLen   = 4096
	maxFieldAlias = 64 // fields in one custom_data field_alias
)

func (s *Server) hostRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/host/l7/stats.lua", s.getHostL7Stats)
	s.mux.HandleFunc(v2+"get/host/l4/data.lua", s.getHostL4Data)
	s.mux.HandleFunc(v2+"get/host/dscp/stats.lua", s.getHostDSCP)
	s.mux.HandleFunc(v2+"get/host/custom_data.lua", s.getHostCustomData)
	s.mux.HandleFunc(v2+"get/host/interfaces.lua", s.getHostInterfaces)
	s.mux.HandleFunc(v2+"set/host/alias.lua", s.setHostAlias)
	s.mux.HandleFunc(v2+"set/host/notes.lua", s.setHostNotes)
	s.mux.HandleFunc(v2+"delete/host/inactive_host.lua", s.deleteInactiveHost)
	s.mux.HandleFunc(v2+"trigger/host/alert.lua", s.triggerHostAlert)
	s.mux.HandleFunc(v2+"get/host/processes/listening_ports.lua", s.getListeningPorts)
}

// getListeningPorts lists the host's listening sockets last reported on the
// ZMQ listening-ports topic (empty when its probe sent none).
func (s *Server) getListeningPorts(w http.ResponseWriter, r *http.Request) {
	_, i, ip, _, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	var ports []engine.ListeningPort
	i.Do(func(t *engine.Tables) { ports = t.ListeningPorts(ip) })
	out := []map[string]any{}
	for _, p := range ports {
		out = append(out, map[string]any{"proto": p.Proto, "port": p.Port, "process": p.Process, "package": p.Package})
	}
	writeOK(w, out)
}

// hostRequest reads ifid and host and checks the requester may see it.
func (s *Server) hostRequest(w http.ResponseWriter, r *http.Request) (params, *engine.Interface, netip.Addr, uint16, bool) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return nil, nil, netip.Addr{}, 0, false
	}
	ip, vlan, err := parseHost(p)
	if err != nil {
		writeError(w, 0, errInvalidHost, err.Error())
		return nil, nil, netip.Addr{}, 0, false
	}
	if visible := addrFilter(r); visible != nil && !visible(ip) {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "host not in the networks allowed to this user")
		return nil, nil, netip.Addr{}, 0, false
	}
	return p, i, ip, vlan, true
}

// withHost runs fn on the live host inside the interface goroutine and
// answers INVALID_HOST (404, as host/data.lua) when it is not active.
func withHost(w http.ResponseWriter, i *engine.Interface, ip netip.Addr, vlan uint16, fn func(t *engine.Tables, h *engine.Host)) bool {
	return withHostIn(w, i.Do, ip, vlan, fn)
}

// withHostIn is withHost with the tables reached by run (i.Do, i.Read or
// a timedTables around one).
func withHostIn(w http.ResponseWriter, run func(func(*engine.Tables)), ip netip.Addr, vlan uint16, fn func(t *engine.Tables, h *engine.Host)) bool {
	found := false
	run(func(t *engine.Tables) {
		if h := t.Host(ip, vlan); h != nil {
			found = true
			fn(t, h)
		}
	})
	if !found {
		writeError(w, http.StatusNotFound, errInvalidHost, "host "+ip.String()+" not found")
	}
	return found
}

func (s *Server) getHostL7Stats(w http.ResponseWriter, r *http.Request) {
	p, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	key, err := l7Grouping(p)
	if err == nil {
		_, err = boolParam(p, "collapse_stats", false)
	}
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	collapse, _ := boolParam(p, "collapse_stats", false)
	sums := map[string]float64{}
	var dur uint32
	if !withHost(w, i, ip, vlan, func(_ *engine.Tables, h *engine.Host) {
		dur = h.LastSeen - h.FirstSeen
		for _, l := range h.L7 {
			sums[key(l.Proto)] += float64(l.BytesSent + l.BytesRcvd)
		}
	}) {
		return
	}
	// flowgate keeps no per-application activity time: "duration" is the
	// host's (an upper bound of each application's).
	type entry struct {
		Label    string  `json:"label"`
		Value    float64 `json:"value"`
		Duration uint32  `json:"duration"`
	}
	out := []entry{}
	for _, lv := range topLabels(sums, maxLabelRows, collapse) {
		out = append(out, entry{lv.Label, lv.Value, dur})
	}
	writeOK(w, out)
}

// getHostL4Data is the host's traffic per L4 protocol: [{label, value}] in bytes.
func (s *Server) getHostL4Data(w http.ResponseWriter, r *http.Request) {
	_, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	labels := [engine.NumL4Classes]string{"TCP", "UDP", "ICMP", "Other IP"}
	out := []labelValue{}
	withHost(w, i, ip, vlan, func(_ *engine.Tables, h *engine.Host) {
		for c := range h.L4 {
			if b := h.L4[c].BytesSent + h.L4[c].BytesRcvd; b > 0 {
				out = append(out, labelValue{labels[c], float64(b)})
			}
		}
		writeOK(w, out)
	})
}

func (s *Server) getHostDSCP(w http.ResponseWriter, r *http.Request) {
	p, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	// direction: ntopng's flag selecting received (true) or sent traffic;
	// absent: both.
	dir, err := boolParam(p, "direction", false)
	_, given := p["direction"]
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	sums := map[string]float64{}
	if !withHost(w, i, ip, vlan, func(t *engine.Tables, _ *engine.Host) {
		t.Flows(func(f *engine.Flow) bool {
			if f.VLAN() != vlan {
				return true
			}
			c, sv := flowDSCP(f)
			switch {
			case f.Client() == ip:
				if !given || !dir {
					sums[dscpName(c)] += float64(f.CliBytes)
				}
				if !given || dir {
					sums[dscpName(sv)] += float64(f.SrvBytes)
				}
			case f.Server() == ip:
				if !given || !dir {
					sums[dscpName(sv)] += float64(f.SrvBytes)
				}
				if !given || dir {
					sums[dscpName(c)] += float64(f.CliBytes)
				}
			}
			return true
		})
	}) {
		return
	}
	for k, v := range sums {
		if v == 0 {
			delete(sums, k)
		}
	}
	writeOK(w, topLabels(sums, maxLabelRows, false))
}

// fieldAlias parses "field[=alias],...".
func fieldAlias(v string) ([][2]string, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > maxFieldAlias {
		return nil, fmt.Errorf("field_alias: more than %d fields", maxFieldAlias)
	}
	out := make([][2]string, 0, len(parts))
	for _, f := range parts {
		name, alias, _ := strings.Cut(strings.TrimSpace(f), "=")
		if alias == "" {
			alias = name
		}
		if name == "" || len(name) > 64 || len(alias) > 64 {
			return nil, fmt.Errorf("bad field_alias entry %q", f)
		}
		out = append(out, [2]string{name, alias})
	}
	return out, nil
}

func selectFields(m map[string]any, fa [][2]string) map[string]any {
	if fa == nil {
		return m
	}
	out := make(map[string]any, len(fa))
	for _, f := range fa {
		if v, ok := m[f[0]]; ok {
			out[f[1]] = v
		}
	}
	return out
}

// getHostCustomData is custom_data.lua: host data restricted to the
// field_alias selection, of one host or (no host) of every visible host.
func (s *Server) getHostCustomData(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	fa, err := fieldAlias(p["field_alias"])
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if p["host"] != "" {
		_, i, ip, vlan, ok := s.hostRequest(w, r)
		if !ok {
			return
		}
		withHost(w, i, ip, vlan, func(t *engine.Tables, h *engine.Host) {
			writeOK(w, selectFields(hostData(t, h, i.ID()), fa))
		})
		return
	}
	visible := addrFilter(r)
	out := []map[string]any{}
	i.Do(func(t *engine.Tables) {
		t.Hosts(func(h *engine.Host) bool {
			if visible == nil || visible(h.IP()) {
				out = append(out, selectFields(hostData(t, h, i.ID()), fa))
			}
			return true
		})
	})
	writeOK(w, out)
}

// getHostInterfaces lists the interfaces the host is active on:
// {"ip": [{"ifid": n}, ...]}. ifid is optional here, as in ntopng.
func (s *Server) getHostInterfaces(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	ip, vlan, ok := readHost(w, p)
	if !ok {
		return
	}
	if visible := addrFilter(r); visible != nil && !visible(ip) {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "host not in the networks allowed to this user")
		return
	}
	me := requester(r)
	list := []map[string]int{}
	for _, i := range s.deps.Engine.Interfaces() {
		if !me.AllowsIfname(i.Name()) {
			continue
		}
		found := false
		i.Do(func(t *engine.Tables) { found = t.Host(ip, vlan) != nil })
		if found {
			list = append(list, map[string]int{"ifid": i.ID()})
		}
	}
	writeOK(w, map[string]any{p["host"]: list})
}

// hostField is the "ip@vlan" key ntopng's host hashes use.
func hostField(ip netip.Addr, vlan uint16) string {
	return ip.String() + "@" + strconv.Itoa(int(vlan))
}

// readHostParam reads host (and vlan) without an interface: the alias and
// notes of a host are global in ntopng.
func readHostParam(w http.ResponseWriter, r *http.Request) (params, netip.Addr, uint16, bool) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return nil, netip.Addr{}, 0, false
	}
	ip, vlan, ok := readHost(w, p)
	return p, ip, vlan, ok
}

// readHost reads host (and vlan) of an endpoint that needs no interface:
// missing is INVALID_ARGUMENTS (ntopng's isEmptyString check), malformed
// INVALID_HOST, as on the per-interface host endpoints.
func readHost(w http.ResponseWriter, p params) (netip.Addr, uint16, bool) {
	if p["host"] == "" {
		writeError(w, 0, errInvalidArgs, "missing host")
		return netip.Addr{}, 0, false
	}
	ip, vlan, err := parseHost(p)
	if err != nil {
		writeError(w, 0, errInvalidHost, err.Error())
		return netip.Addr{}, 0, false
	}
	return ip, vlan, true
}

func (s *Server) setHostAlias(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, ip, vlan, ok := readHostParam(w, r)
	if !ok {
		return
	}
	name, err := readAlias(p, "custom_name")
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if err := s.setOrDelHash(hostLabelsKey, hostField(ip, vlan), name); err != nil {
		s.deps.Logger.Error("set host alias", "err", err)
		writeError(w, 0, errInternal, "cannot store the alias")
		return
	}
	writeOK(w, map[string]any{})
}

func (s *Server) setHostNotes(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, ip, vlan, ok := readHostParam(w, r)
	if !ok {
		return
	}
	notes, present := p["custom_notes"]
	if !present {
		writeError(w, 0, errInvalidArgs, "missing custom_notes")
		return
	}
	if len(notes) > maxNotesLen {
		writeError(w, 0, errInvalidArgs, fmt.Sprintf("custom_notes longer than %d bytes", maxNotesLen))
		return
	}
	if err := s.setOrDelHash(hostNotesKey, hostField(ip, vlan), strings.TrimSpace(notes)); err != nil {
		s.deps.Logger.Error("set host notes", "err", err)
		writeError(w, 0, errInternal, "cannot store the notes")
		return
	}
	writeOK(w, map[string]any{})
}

// deleteInactiveHost answers for ntopng's stored inactive hosts. flowgate
// keeps none (an idle host leaves the engine), so every well-formed
// serial_key is NOT_FOUND.
func (s *Server) deleteInactiveHost(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, _, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	v := p["serial_key"]
	if v == "" {
		writeError(w, 0, errInvalidArgs, "missing serial_key")
		return
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil && v != "all" {
		writeError(w, 0, errInvalidArgs, "bad serial_key "+strconv.Quote(v))
		return
	}
	if v == "all" {
		writeOK(w, map[string]any{"deleted": 0})
		return
	}
	writeError(w, http.StatusNotFound, errNotFound, "no inactive host "+v)
}

// severityOfScore maps an ntopng score to the severity of the alert it raises.
func severityOfScore(score int) alerts.Severity {
	switch {
	case score <= 10:
		return alerts.SeverityInfo
	case score <= 50:
		return alerts.SeverityWarning
	case score <= 100:
		return alerts.SeverityError
	}
	return alerts.SeverityCritical
}

// externalAlertType is alert_keys.ntopng.alert_external, the type of
// alerts that come from outside the engine.
const externalAlertType = 7

func (s *Server) triggerHostAlert(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	score, err := intParam(p, "score", 10, 0, 1000)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	info := p["info"]
	if info == "" || len(info) > maxNotesLen {
		writeError(w, 0, errInvalidArgs, "info must be 1 to 4096 bytes")
		return
	}
	if s.deps.Alerts == nil {
		writeError(w, 0, errInternal, "no alert store")
		return
	}
	js, _ := json.Marshal(map[string]any{"score": score, "info": info})
	s.deps.Alerts.StoreEvent(alerts.Alert{IfID: i.ID(), Type: externalAlertType, Severity: severityOfScore(score),
		Entity: alerts.EntityHost, EntityVal: hostField(ip, vlan), Tstamp: s.now().Unix(), JSON: string(js),
		Subdir: "host", Script: "rest"})
	writeOK(w, map[string]any{})
}

// sortedKeys is a helper for deterministic answers.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
