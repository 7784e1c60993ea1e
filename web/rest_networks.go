package web

import (
	"net/http"
	"net/netip"

	"flowgate/engine"
)

// networkLabelsKey is ntopng's hash of local network aliases, field the CIDR.
const networkLabelsKey = "ntopng.network_labels"

func (s *Server) networkRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/network/networks.lua", s.getNetworks)
	s.mux.HandleFunc(v2+"set/network/alias.lua", s.setNetworkAlias)
}

// getNetworks is networks.lua: the local networks as {id, label,
// network_id}, label the alias when one is set. flowgate adds each
// network's live figures (what ntopng's network list page shows):
// num_hosts, bytes ingress/egress/inner/total and throughput_bps. A user
// restricted to some networks sees only the local networks inside them
// (a wider network's figures count other users' hosts); network_id stays
// the network's index, as host/active.lua's network filter reads it.
func (s *Server) getNetworks(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	var nets []engine.NetworkStats
	i.Do(func(t *engine.Tables) {
		for _, n := range t.Networks() {
			nets = append(nets, *n)
		}
	})
	aliases, _ := s.kvStore().HGetAll(networkLabelsKey)
	me := requester(r)
	out := []map[string]any{}
	for id, n := range nets {
		if !me.IsAdmin() && !me.AllowsPrefix(n.Prefix) {
			continue
		}
		label := n.Prefix.String()
		if a := aliases[label]; a != "" {
			label = a
		}
		out = append(out, map[string]any{"id": n.Prefix.String(), "label": label, "network_id": id,
			"num_hosts": n.Hosts, "throughput_bps": n.ThroughputBps,
			"bytes": map[string]uint64{"ingress": n.BytesIngress, "egress": n.BytesEgress, "inner": n.BytesInner, "total": n.Bytes()}})
	}
	writeOK(w, out)
}

func (s *Server) setNetworkAlias(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	pfx, err := netip.ParsePrefix(p["network_cidr"])
	if err != nil {
		writeError(w, 0, errInvalidArgs, "bad or missing network_cidr")
		return
	}
	name, err := readAlias(p, "custom_name")
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if !s.isLocalNetwork(pfx.Masked()) {
		writeError(w, http.StatusNotFound, errNotFound, "network "+pfx.String()+" is not a local network")
		return
	}
	if err := s.setOrDelHash(networkLabelsKey, pfx.Masked().String(), name); err != nil {
		s.deps.Logger.Error("set network alias", "err", err)
		writeError(w, 0, errInternal, "cannot store the alias")
		return
	}
	writeOK(w, map[string]any{})
}

func (s *Server) isLocalNetwork(p netip.Prefix) bool {
	for _, n := range s.deps.Engine.Config().LocalNetworks {
		if n.Masked() == p {
			return true
		}
	}
	return false
}
