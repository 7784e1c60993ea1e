package web

import (
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func (s *Server) interfaceRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/interface/l7/stats.lua", s.getInterfaceL7Stats)
	s.mux.HandleFunc(v2+"get/interface/dscp/stats.lua", s.getInterfaceDSCP)
	s.mux.HandleFunc(v2+"get/interface/address.lua", s.getInterfaceAddress)
	s.mux.HandleFunc(v2+"get/interface/bcast_domains.lua", s.getBcastDomains)
	s.mux.HandleFunc(v2+"get/interface/nprobes/data.lua", s.getNprobes)
	s.mux.HandleFunc(v2+"set/interface/alias.lua", s.setInterfaceAlias)
}

// labelValue is ntopng's chart entry: {label, value}.
type labelValue struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// maxLabelRows bounds max_values/max_num_results.
const maxLabelRows = 1000

// boolParam reads an ntopng boolean ("true"/"false", "1"/"0"); absent is def.
func boolParam(p params, k string, def bool) (bool, error) {
	v, ok := p[k]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, &argError{k, v}
	}
	return b, nil
}

type argError struct{ k, v string }

func (e *argError) Error() string { return "bad " + e.k + " " + strconv.Quote(e.v) }

// intParam reads an integer parameter within [lo, hi]; absent is def.
func intParam(p params, k string, def, lo, hi int) (int, error) {
	v, ok := p[k]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def, &argError{k, v}
	}
	return n, nil
}

// l7Grouping reads breed/ndpi_category: how application figures are keyed.
// flowgate has nDPI's categories but not its breeds: with breed=true every
// application is "Unrated" (docs/rest-coverage.md).
func l7Grouping(p params) (func(proto uint16) string, error) {
	breed, err := boolParam(p, "breed", false)
	if err != nil {
		return nil, err
	}
	cat, err := boolParam(p, "ndpi_category", false)
	if err != nil {
		return nil, err
	}
	switch {
	case cat:
		return func(id uint16) string { return ndpi.CategoryOf(id).String() }, nil
	case breed:
		return func(uint16) string { return "Unrated" }, nil
	}
	return func(id uint16) string { return ndpi.Name(id) }, nil
}

// topLabels sorts sums by value (then label), keeps max rows and folds the
// rest into "Other" as ntopng's charts do; collapse also folds entries
// under 3 % of the total.
func topLabels(sums map[string]float64, max int, collapse bool) []labelValue {
	rows := make([]labelValue, 0, len(sums))
	total := 0.0
	for k, v := range sums {
		rows = append(rows, labelValue{k, v})
		total += v
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Value != rows[j].Value {
			return rows[i].Value > rows[j].Value
		}
		return rows[i].Label < rows[j].Label
	})
	out := make([]labelValue, 0, min(len(rows), max+1))
	other := 0.0
	for i, r := range rows {
		if i >= max || (collapse && total > 0 && r.Value/total < 0.03) {
			other += r.Value
			continue
		}
		out = append(out, r)
	}
	if other > 0 {
		out = append(out, labelValue{"Other", other})
	}
	return out
}

func (s *Server) getInterfaceL7Stats(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	mode := p["ndpistats_mode"]
	if mode == "" {
		mode = "sinceStartup"
	}
	if mode != "sinceStartup" && mode != "count" {
		writeError(w, 0, errInvalidArgs, "bad ndpistats_mode "+strconv.Quote(mode)+", want sinceStartup or count")
		return
	}
	key, err := l7Grouping(p)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	max, err := intParam(p, "max_values", 5, 1, maxLabelRows)
	if err == nil {
		max, err = intParam(p, "max_num_results", max, 1, maxLabelRows)
	}
	all, err2 := boolParam(p, "all_values", false)
	collapse, err3 := boolParam(p, "collapse_stats", false)
	for _, e := range []error{err, err2, err3} {
		if e != nil {
			writeError(w, 0, errInvalidArgs, e.Error())
			return
		}
	}
	if all {
		max = int(^uint(0) >> 1)
	}
	sums := map[string]float64{}
	timedTables(w, i.Read, func(t *engine.Tables) {
		if mode == "count" {
			t.Flows(func(f *engine.Flow) bool { sums[key(f.L7())]++; return true })
			return
		}
		t.ProtocolBytes(func(proto uint16, b uint64) { sums[key(proto)] += float64(b) })
	})
	writeOK(w, topLabels(sums, max, collapse))
}

// dscpName is the class name of a DSCP code point (RFC 2474/2597/3246).
func dscpName(d uint8) string {
	switch {
	case d == 0:
		return "Default"
	case d == 46:
		return "EF"
	case d == 44:
		return "VOICE-ADMIT"
	case d%8 == 0:
		return "CS" + strconv.Itoa(int(d/8))
	case d >= 10 && d <= 38 && d%2 == 0 && (d%8)/2 >= 1 && (d%8)/2 <= 3:
		return "AF" + strconv.Itoa(int(d/8)) + strconv.Itoa(int(d%8)/2)
	}
	return "DSCP " + strconv.Itoa(int(d))
}

// flowDSCP is the code points of a flow's two directions (the ToS byte's
// upper six bits; 0 when the probe sent none).
func flowDSCP(f *engine.Flow) (cli, srv uint8) {
	if x := f.Extra(); x != nil {
		return x.CliTOS >> 2, x.SrvTOS >> 2
	}
	return 0, 0
}

func (s *Server) getInterfaceDSCP(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	sums := map[string]float64{}
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			c, sv := flowDSCP(f)
			sums[dscpName(c)] += float64(f.CliBytes)
			sums[dscpName(sv)] += float64(f.SrvBytes)
			return true
		})
	})
	for k, v := range sums {
		if v == 0 {
			delete(sums, k)
		}
	}
	writeOK(w, topLabels(sums, maxLabelRows, false))
}

// getInterfaceAddress lists the interface addresses the probes reported in
// their events (for a collector interface these are the probes' capture
// interfaces), as ntopng's {addresses: ["ip/len", ...]}.
func (s *Server) getInterfaceAddress(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	seen := map[string]bool{}
	addrs := []string{}
	i.Do(func(t *engine.Tables) {
		for _, pr := range t.Probes() {
			a, err := netip.ParseAddr(pr.Event.IfIP)
			if err != nil || seen[a.String()] {
				continue
			}
			seen[a.String()] = true
			addrs = append(addrs, netip.PrefixFrom(a, a.BitLen()).String())
		}
	})
	sort.Strings(addrs)
	writeOK(w, map[string]any{"addresses": addrs})
}

// getBcastDomains lists the local networks in which broadcast traffic was
// seen: flowgate's approximation of ntopng's broadcast domains, which ntopng
// learns from ARP (absent from flow exports).
func (s *Server) getBcastDomains(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	i.Do(func(t *engine.Tables) {
		nets := t.Networks()
		hits := make([]int, len(nets))
		t.Hosts(func(h *engine.Host) bool {
			if !h.IsBroadcast {
				return true
			}
			for n, ns := range nets {
				if ns.Prefix.Contains(h.IP()) {
					hits[n]++
				}
			}
			return true
		})
		for n, ns := range nets {
			if hits[n] > 0 {
				out = append(out, map[string]any{"network": ns.Prefix.String(), "vlan": 0, "hosts": hits[n]})
			}
		}
	})
	writeOK(w, out)
}

// getNprobes is nprobes/data.lua: one entry per probe that sent an event
// in the last 30 minutes.
func (s *Server) getNprobes(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	timedTables(w, i.Read, func(t *engine.Tables) {
		for _, pr := range t.Probes() {
			ev := &pr.Event
			var drops, exported uint64
			exporters := len(ev.Exporters)
			iface := ev.IfName
			if ev.Mode == "packet_collection" || exporters == 0 {
				exporters = 1
				drops = ev.DropsELK + ev.DropsUDPSocket + ev.DropsExportQueueFull + ev.DropsTooManyFlows +
					ev.DropsFlowCollection + ev.DropsSFlowSamples
				exported = ev.NumFlowExports
			} else {
				for _, e := range ev.Exporters {
					drops += e.NumDrops
					exported += e.NumNetFlowIPFIXFlows + e.NumSFlowFlows
				}
				iface = "Flow collector"
			}
			out = append(out, map[string]any{
				"probe_interface": iface, "probe_version": ev.Version, "probe_ip": ev.ProbeIP,
				"probe_uuid": ev.UUID, "probe_uuid_num": ev.UniqueSourceID, "probe_public_ip": ev.PublicIP,
				"probe_edition": ev.Edition, "probe_license": ev.License, "probe_maintenance": ev.Maintenance,
				"probe_last_update": pr.LastSeen.Unix(), "flow_exporters": exporters, "dropped_flows": drops,
				"captured_packets": ev.Packets, "dropped_packets": ev.PacketDrops, "exported_flows": exported,
				"ntopng_interface": i.Name(), "timeseries_enabled": false, "ifid": i.ID(),
				"source_id": pr.SourceID,
			})
		}
	})
	writeOK(w, out)
}

// maxAliasLen bounds aliases and names written through REST.
const maxAliasLen = 128

// readAlias validates a custom name: printable, at most maxAliasLen bytes.
// Empty clears the alias.
func readAlias(p params, k string) (string, error) {
	v, ok := p[k]
	if !ok {
		return "", &argError{k, "(missing)"}
	}
	v = strings.TrimSpace(v)
	if len(v) > maxAliasLen {
		return "", &argError{k, v[:16] + "..."}
	}
	for _, c := range v {
		if !unicode.IsPrint(c) {
			return "", &argError{k, v}
		}
	}
	return v, nil
}

// ifAliasKey is ntopng's key of an interface's custom name.
func ifAliasKey(ifid int) string { return "ntopng.prefs.ifid_" + strconv.Itoa(ifid) + ".name" }

func (s *Server) setInterfaceAlias(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	name, err := readAlias(p, "custom_name")
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if err := s.setOrDel(ifAliasKey(i.ID()), name); err != nil {
		writeError(w, 0, errInternal, "cannot store the alias")
		s.deps.Logger.Error("set interface alias", "err", err)
		return
	}
	writeOK(w, map[string]any{})
}

func (s *Server) setOrDel(key, v string) error {
	if v == "" {
		return s.kvStore().Del(key)
	}
	return s.kvStore().Set(key, v, 0)
}

// setOrDelHash sets or (empty v) removes a field of hash key.
func (s *Server) setOrDelHash(key, field, v string) error {
	if v == "" {
		return s.kvStore().HDel(key, field)
	}
	return s.kvStore().HSet(key, field, v)
}
