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
// network_id}, label the alias when one is set.
func (s *Server) getNetworks(w http.ResponseWriter, r *http.Request) {
	_, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	var prefixes []netip.Prefix
	i.Do(func(t *engine.Tables) {
		for _, n := range t.Networks() {
			prefixes = append(prefixes, n.Prefix)
		}
	})
	aliases, _ := s.kvStore().HGetAll(networkLabelsKey)
	out := []map[string]any{}
	for id, p := range prefixes {
		label := p.String()
		if a := aliases[label]; a != "" {
			label = a
		}
		out = append(out, map[string]any{"id": p.String(), "label": label, "network_id": id})
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
