package web

import (
	"net/http"
	"net/netip"

	"flowgate/engine"
)

// maxPeersPerPage bounds one answer of get/host/peers.lua.
const maxPeersPerPage = 1000

func (s *Server) hostPeerRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/host/peers.lua", s.getHostPeers)
	s.mux.HandleFunc(v2+"get/host/snmp_ports.lua", s.getHostSNMPPorts) // rest_host_snmp_ports.go
}

// peerRow is one peer of a host, summed over their active flows.
type peerRow struct {
	ip          netip.Addr
	vlan        uint16
	sent, rcvd  uint64 // what the host sent to / received from the peer
	flows       int
	bps         float64
	local, seen bool
}

var peerOrder = map[string]func(a, b *peerRow) bool{
	"bytes": func(a, b *peerRow) bool { return a.sent+a.rcvd < b.sent+b.rcvd },
	"sent":  func(a, b *peerRow) bool { return a.sent < b.sent },
	"rcvd":  func(a, b *peerRow) bool { return a.rcvd < b.rcvd },
	"flows": func(a, b *peerRow) bool { return a.flows < b.flows },
	"thpt":  func(a, b *peerRow) bool { return a.bps < b.bps },
	"ip":    func(a, b *peerRow) bool { return a.ip.Less(b.ip) || a.ip == b.ip && a.vlan < b.vlan },
}

// getHostPeers is flowgate's get/host/peers.lua (ifid, host[@vlan],
// currentPage, perPage <= 1000, sortColumn bytes|sent|rcvd|flows|thpt|ip,
// sortOrder): the hosts the host talks with over its active flows, each
// with the bytes each way, the flows and their throughput, paged as
// host/active.lua. ntopng shows the same on its host page's peers tab;
// its REST has no list of them. A peer's name is its alias
// (set/host/alias.lua) when one is set.
func (s *Server) getHostPeers(w http.ResponseWriter, r *http.Request) {
	p, i, ip, vlan, ok := s.hostRequest(w, r)
	if !ok {
		return
	}
	pg, less, ok := readListOrder(w, p, peerOrder)
	if !ok {
		return
	}
	if pg.perPage > maxPeersPerPage {
		writeError(w, 0, errInvalidArgs, "perPage over 1000")
		return
	}
	type peerKey struct {
		ip   netip.Addr
		vlan uint16
	}
	var page []peerRow
	total := 0
	if !withHost(w, i, ip, vlan, func(t *engine.Tables, h *engine.Host) {
		// Rows in the order of their first flow: ties sort the same way
		// on every call. Sized by the host's peer estimate (HyperLogLog).
		est := h.NumPeers() + h.NumPeers()/4 + 8
		rows := make([]peerRow, 0, est)
		idx := make(map[peerKey]int, est)
		t.Flows(func(f *engine.Flow) bool {
			if f.VLAN() != vlan {
				return true
			}
			cli, srv := f.Client(), f.Server()
			var k peerKey
			var sent, rcvd uint64
			switch ip {
			case cli:
				k, sent, rcvd = peerKey{srv, vlan}, f.CliBytes, f.SrvBytes
			case srv:
				k, sent, rcvd = peerKey{cli, vlan}, f.SrvBytes, f.CliBytes
			default:
				return true
			}
			n, ok := idx[k]
			if !ok {
				n = len(rows)
				idx[k] = n
				rows = append(rows, peerRow{ip: k.ip, vlan: k.vlan})
			}
			row := &rows[n]
			row.sent += sent
			row.rcvd += rcvd
			row.flows++
			row.bps += float64(f.ThptBps)
			return true
		})
		pr := newPager(pg, less, len(rows))
		for n := range rows {
			pr.add(&rows[n])
		}
		page, total = pr.page(), pr.total()
		// Only the page's peers are looked up.
		for n := range page {
			if ph := t.Host(page[n].ip, page[n].vlan); ph != nil {
				page[n].local, page[n].seen = ph.Local, true
			}
		}
	}) {
		return
	}
	aliases, _ := s.kvStore().HGetAll(hostLabelsKey)
	data := make([]map[string]any, 0, len(page))
	for _, row := range page {
		name := row.ip.String()
		if a := aliases[hostField(row.ip, row.vlan)]; a != "" {
			name = a
		}
		data = append(data, map[string]any{
			"ip": row.ip.String(), "vlan": row.vlan, "name": name, "is_localhost": row.local, "is_active": row.seen,
			"bytes":     map[string]uint64{"sent": row.sent, "rcvd": row.rcvd, "total": row.sent + row.rcvd},
			"num_flows": row.flows, "thpt": map[string]float64{"bps": row.bps},
		})
	}
	writeOK(w, pg.answer(data, total))
}
