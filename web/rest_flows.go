package web

import (
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func (s *Server) flowRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/flow/l4/counters.lua", s.getFlowL4Counters)
	s.mux.HandleFunc(v2+"get/flow/l7/counters.lua", s.getFlowL7Counters)
	s.mux.HandleFunc(v2+"get/flow/traffic_stats.lua", s.getFlowTrafficStats)
}

// flowFilter is the selection ntopng's flow pages apply (flow_utils
// getFlowsFilter): host, talking_with, application, l4proto, vlan,
// flowhosts_type.
type flowFilter struct {
	host, peer netip.Addr
	app        int // -1: any
	l4         int // -1: any
	vlan       int // -1: any
	hostsType  string
	risk       int // -1: any; else an nDPI risk id the flow must carry (flow_risk)
	visible    func(netip.Addr) bool
}

var flowHostsTypes = map[string]bool{"": true, "all_hosts": true, "local_only": true, "remote_only": true,
	"local_origin_remote_target": true, "remote_origin_local_target": true, "local_to_local": true, "blacklisted": true}

// readFlowFilter reads the filters; an error is INVALID_ARGUMENTS (a bad
// host is INVALID_HOST, reported through the bool).
func readFlowFilter(p params) (flowFilter, bool, error) {
	ff := flowFilter{app: -1, l4: -1, vlan: -1, risk: -1}
	if p["host"] != "" {
		ip, vlan, err := parseHost(p)
		if err != nil {
			return ff, true, err
		}
		ff.host = ip
		if strings.Contains(p["host"], "@") || p["vlan"] != "" {
			ff.vlan = int(vlan)
		}
	} else if v := p["vlan"]; v != "" {
		n, err := strconv.ParseUint(v, 10, 12)
		if err != nil {
			return ff, false, &argError{"vlan", v}
		}
		ff.vlan = int(n)
	}
	if v := p["talking_with"]; v != "" {
		ip, err := netip.ParseAddr(strings.SplitN(v, "@", 2)[0])
		if err != nil {
			return ff, true, &argError{"talking_with", v}
		}
		ff.peer = ip.Unmap()
	}
	if v := p["application"]; v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= int(ndpi.MaxID()) {
			ff.app = n
		} else if id, ok := ndpi.ID(v); ok {
			ff.app = int(id)
		} else {
			return ff, false, &argError{"application", v}
		}
	}
	if v := p["l4proto"]; v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 255 {
			ff.l4 = n
		} else if n, ok := l4ByName(v); ok {
			ff.l4 = n
		} else {
			return ff, false, &argError{"l4proto", v}
		}
	}
	// flow_risk: an nDPI risk id (docs/flow-risks.md) or its enum name; ids
	// beyond nDPI's table are refused.
	if v := p["flow_risk"]; v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			if _, err := ndpi.RiskByID(n); err != nil {
				return ff, false, &argError{"flow_risk", v}
			}
			ff.risk = n
		} else if id, ok := ndpi.RiskID(v); ok {
			ff.risk = id
		} else {
			return ff, false, &argError{"flow_risk", v}
		}
	}
	ff.hostsType = p["flowhosts_type"]
	if !flowHostsTypes[ff.hostsType] {
		return ff, false, &argError{"flowhosts_type", ff.hostsType}
	}
	return ff, false, nil
}

// match reports whether f passes the filter (inside Do or Read, for
// every flow: the addresses are read only when a filter needs them).
func (ff *flowFilter) match(t *engine.Tables, f *engine.Flow) bool {
	if ff.vlan >= 0 && int(f.VLAN()) != ff.vlan {
		return false
	}
	if ff.app >= 0 && int(f.L7Master) != ff.app && int(f.L7App) != ff.app {
		return false
	}
	if ff.l4 >= 0 && int(f.Proto()) != ff.l4 {
		return false
	}
	if ff.host.IsValid() || ff.peer.IsValid() || ff.visible != nil {
		cli, srv := f.Client(), f.Server()
		if ff.host.IsValid() && cli != ff.host && srv != ff.host {
			return false
		}
		// talking_with: the flow involves the peer (with host: host <-> peer).
		if ff.peer.IsValid() && cli != ff.peer && srv != ff.peer {
			return false
		}
		if ff.visible != nil && !ff.visible(cli) && !ff.visible(srv) {
			return false
		}
	}
	if ff.risk >= 0 {
		if x := f.Extra(); x == nil || x.Risk&(1<<uint(ff.risk)) == 0 {
			return false
		}
	}
	if ff.hostsType == "blacklisted" {
		return f.Blacklist != 0
	}
	if ff.hostsType != "" && ff.hostsType != "all_hosts" {
		cl, sl := isLocal(t.FlowClient(f)), isLocal(t.FlowServer(f))
		switch ff.hostsType {
		case "local_only":
			return cl && sl
		case "remote_only":
			return !cl && !sl
		case "local_origin_remote_target":
			return cl && !sl
		case "remote_origin_local_target":
			return !cl && sl
		case "local_to_local":
			return cl && sl
		}
	}
	return true
}

func isLocal(h *engine.Host) bool { return h != nil && h.Local }

func l4ByName(name string) (int, bool) {
	for _, e := range l4Protocols {
		if strings.EqualFold(e.Name, name) {
			return e.ID, true
		}
	}
	return 0, false
}

// flowsRequest reads ifid and the flow filter.
func (s *Server) flowsRequest(w http.ResponseWriter, r *http.Request) (params, *engine.Interface, *flowFilter, bool) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	ff, hostErr, err := readFlowFilter(p)
	if err != nil {
		e := errInvalidArgs
		if hostErr {
			e = errInvalidHost
		}
		writeError(w, 0, e, err.Error())
		return nil, nil, nil, false
	}
	ff.visible = addrFilter(r)
	return p, i, &ff, true
}

func (s *Server) getFlowL4Counters(w http.ResponseWriter, r *http.Request) {
	_, i, ff, ok := s.flowsRequest(w, r)
	if !ok {
		return
	}
	counts := map[int]int{}
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			if ff.match(t, f) {
				counts[int(f.Proto())]++
			}
			return true
		})
	})
	type entry struct {
		ID    int `json:"id"`
		Count int `json:"count"`
	}
	out := []entry{}
	for id, n := range counts {
		out = append(out, entry{id, n})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	writeOK(w, out)
}

func (s *Server) getFlowL7Counters(w http.ResponseWriter, r *http.Request) {
	_, i, ff, ok := s.flowsRequest(w, r)
	if !ok {
		return
	}
	counts := map[string]int{}
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			if ff.match(t, f) {
				counts[f.L7Name()]++
			}
			return true
		})
	})
	type entry struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	out := []entry{}
	for _, k := range sortedKeys(counts) {
		out = append(out, entry{k, counts[k]})
	}
	writeOK(w, out)
}

// getFlowTrafficStats is interface.getActiveFlowsStats over the filtered
// flows: counts and bytes sent/received.
func (s *Server) getFlowTrafficStats(w http.ResponseWriter, r *http.Request) {
	_, i, ff, ok := s.flowsRequest(w, r)
	if !ok {
		return
	}
	var n int
	var sent, rcvd, pkts uint64
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			if !ff.match(t, f) {
				return true
			}
			n++
			pkts += f.Packets()
			// With a host filter ntopng counts what that host sent and
			// received; otherwise client to server is "sent".
			if ff.host.IsValid() && f.Server() == ff.host {
				sent, rcvd = sent+f.SrvBytes, rcvd+f.CliBytes
			} else {
				sent, rcvd = sent+f.CliBytes, rcvd+f.SrvBytes
			}
			return true
		})
	})
	writeOK(w, map[string]any{"num_flows": n, "bytes_sent": sent, "bytes_rcvd": rcvd,
		"bytes": sent + rcvd, "packets": pkts})
}
