package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/engine/ndpi"
)

// GeoInfo is what get/asn/* and the country endpoint tell about an address.
type GeoInfo struct {
	ASN     uint32
	ASName  string
	Country string // ISO 3166 alpha-2
}

func (s *Server) constRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/l4/protocol/consts.lua", getL4Consts)
	s.mux.HandleFunc(v2+"get/l7/application/consts.lua", getL7AppConsts)
	s.mux.HandleFunc(v2+"get/l7/category/consts.lua", getL7CategoryConsts)
	s.mux.HandleFunc(v2+"get/alert/filter/consts.lua", getAlertFilterConsts)
	s.mux.HandleFunc(v2+"get/asn/asn_info.lua", s.getASNInfo)
	s.mux.HandleFunc(v2+"get/asn/asn_name.lua", s.getASNName)
	s.mux.HandleFunc(v2+"get/country/country_name.lua", getCountryName)
	s.mux.HandleFunc(v2+"get/dns/resolve.lua", s.getDNSResolve)
}

type l4Proto struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

// l4Protocols is ntopng's l4_keys list as l4/protocol/consts.lua answers it.
var l4Protocols = []l4Proto{
	{"IP", 0}, {"ICMP", 1}, {"IGMP", 2}, {"TCP", 6}, {"UDP", 17}, {"IPv6", 41}, {"RSVP", 46},
	{"GRE", 47}, {"ESP", 50}, {"IPv6-ICMP", 58}, {"OSPF", 89}, {"PIM", 103}, {"VRRP", 112},
	{"HIP", 139}, {"ICMPv6", 58}, {"Other IP", -1},
}

func getL4Consts(w http.ResponseWriter, r *http.Request) { writeOK(w, l4Protocols) }

func getL7AppConsts(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Name   string `json:"name"`
		CatID  int    `json:"cat_id"`
		ApplID int    `json:"appl_id"`
	}
	out := []entry{}
	for id := ndpi.ProtoID(0); id <= ndpi.MaxID(); id++ {
		if n := ndpi.Name(id); n != "" && (id == 0 || n != ndpi.Name(0)) {
			out = append(out, entry{n, int(ndpi.CategoryOf(id)), int(id)})
		}
	}
	writeOK(w, out)
}

func getL7CategoryConsts(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Name  string `json:"name"`
		CatID int    `json:"cat_id"`
	}
	out := []entry{}
	for c := 0; c < 256; c++ {
		name := ndpi.Category(c).String()
		if id, ok := ndpi.CategoryID(name); ok && int(id) == c {
			out = append(out, entry{name, c})
		}
	}
	writeOK(w, out)
}

// alertPages are the page values of alert/filter/consts.lua.
var alertPages = map[string]bool{"all": true, "host": true, "flow": true, "interface": true, "network": true,
	"system": true, "user": true, "mac": true, "snmp_device": true}

type filterOp struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// getAlertFilterConsts lists the filters the alert lists accept on a page
// (tag_utils.get_tag_info shape: id, label, value_type, operators, options).
func getAlertFilterConsts(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	page := p["page"]
	if page == "" {
		page = "all"
	}
	if !alertPages[page] {
		writeError(w, 0, errInvalidArgs, "unknown page "+strconv.Quote(page))
		return
	}
	eq := []filterOp{{"eq", "="}, {"neq", "!="}}
	types := []map[string]any{}
	for _, t := range alerts.Types() {
		types = append(types, map[string]any{"value": t.ID, "label": t.Title})
	}
	sevs := []map[string]any{}
	for _, s := range alerts.Severities() {
		sevs = append(sevs, map[string]any{"value": int(s), "label": s.Title()})
	}
	f := func(id, label, vt string, opts []map[string]any) map[string]any {
		m := map[string]any{"id": id, "label": label, "value_type": vt, "operators": eq}
		if opts != nil {
			m["options"] = opts
		}
		return m
	}
	out := []map[string]any{f("alert_id", "Alert Type", "array", types), f("severity", "Severity", "array", sevs)}
	switch page {
	case "host", "all":
		out = append(out, f("ip", "IP", "ip", nil), f("vlan_id", "VLAN", "id", nil))
	case "flow":
		out = append(out, f("cli_ip", "Client IP", "ip", nil), f("srv_ip", "Server IP", "ip", nil),
			f("l7proto", "Application", "l7_proto", nil), f("vlan_id", "VLAN", "id", nil))
	case "network":
		out = append(out, f("network_name", "Network", "text", nil))
	}
	writeOK(w, out)
}

func (s *Server) geo(ip netip.Addr) GeoInfo {
	if s.deps.Geo == nil {
		return GeoInfo{}
	}
	return s.deps.Geo(ip)
}

// getASNInfo is asn_info.lua: the interface's autonomous systems (one,
// with asn=N), each with the figures of its active hosts, as ntopng's
// {id, name, first_seen, last_seen, num_hosts, score, rtt, bytes_sent,
// bytes_rcvd, packets_sent, packets_rcvd}. The AS of a host is the
// geolocation database's (Dependencies.Geo; none: an empty list); flowgate
// keeps no AS score or round-trip time, so both are 0.
func (s *Server) getASNInfo(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	var only uint64
	if v := p["asn"]; v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			writeError(w, 0, errInvalidArgs, "bad asn "+quoteShort(v))
			return
		}
		only = n
	}
	type hostFigures struct {
		ip             netip.Addr
		bs, br, ps, pr uint64
		first, last    uint32
	}
	var hosts []hostFigures
	visible := addrFilter(r)
	// Copy inside Do, look up outside: the database is not the interface's.
	i.Do(func(t *engine.Tables) {
		hosts = make([]hostFigures, 0, t.NumHosts())
		t.Hosts(func(h *engine.Host) bool {
			if visible == nil || visible(h.IP()) {
				hosts = append(hosts, hostFigures{h.IP(), h.BytesSent, h.BytesRcvd, h.PktsSent, h.PktsRcvd, h.FirstSeen, h.LastSeen})
			}
			return true
		})
	})
	type asRow struct {
		ID          uint32 `json:"id"`
		Name        string `json:"name"`
		FirstSeen   uint32 `json:"first_seen"`
		LastSeen    uint32 `json:"last_seen"`
		NumHosts    int    `json:"num_hosts"`
		Score       int    `json:"score"`
		RTT         int    `json:"rtt"`
		BytesSent   uint64 `json:"bytes_sent"`
		BytesRcvd   uint64 `json:"bytes_rcvd"`
		PacketsSent uint64 `json:"packets_sent"`
		PacketsRcvd uint64 `json:"packets_rcvd"`
	}
	byAS := map[uint32]*asRow{}
	for _, h := range hosts {
		g := s.geo(h.ip)
		if g.ASN == 0 || only != 0 && uint64(g.ASN) != only {
			continue
		}
		a := byAS[g.ASN]
		if a == nil {
			a = &asRow{ID: g.ASN, Name: g.ASName, FirstSeen: h.first}
			byAS[g.ASN] = a
		}
		a.NumHosts++
		a.FirstSeen, a.LastSeen = min(a.FirstSeen, h.first), max(a.LastSeen, h.last)
		a.BytesSent, a.BytesRcvd = a.BytesSent+h.bs, a.BytesRcvd+h.br
		a.PacketsSent, a.PacketsRcvd = a.PacketsSent+h.ps, a.PacketsRcvd+h.pr
	}
	out := make([]*asRow, 0, len(byAS))
	for _, a := range byAS {
		out = append(out, a)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	writeOK(w, out)
}

// getASNName is asn_name.lua: the AS name of ip ("" when unknown).
func (s *Server) getASNName(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	ip, err := netip.ParseAddr(p["ip"])
	if err != nil {
		writeError(w, 0, errInvalidArgs, "bad or missing ip "+strconv.Quote(p["ip"]))
		return
	}
	writeOK(w, s.geo(ip.Unmap()).ASName)
}

// getCountryName is country_name.lua: the English name of an ISO 3166
// alpha-2 code (country_id).
func getCountryName(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	code := strings.ToUpper(p["country_id"])
	name, ok := countryNames[code]
	if !ok {
		writeError(w, 0, errInvalidArgs, "unknown country_id "+strconv.Quote(p["country_id"]))
		return
	}
	writeOK(w, name)
}

// errResolution is rest_utils' resolution_failed.
var errResolution = restCode("resolution_failed")

// validHostname is RFC 1123: labels of letters, digits and hyphens.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// getDNSResolve is dns/resolve.lua: the address of hostname from the
// resolver cache; the system resolver only with Configuration.DNSResolve.
func (s *Server) getDNSResolve(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	name := p["hostname"]
	if a, err := netip.ParseAddr(name); err == nil {
		writeOK(w, a.String())
		return
	}
	if !validHostname(name) {
		writeError(w, 0, errInvalidArgs, "bad or missing hostname")
		return
	}
	if s.deps.ResolveCached != nil {
		if a, ok := s.deps.ResolveCached(name); ok {
			writeOK(w, a)
			return
		}
	}
	if s.cfg.DNSResolve {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
		if err == nil && len(addrs) > 0 {
			writeOK(w, addrs[0].Unmap().String())
			return
		}
	}
	writeError(w, 0, errResolution, "cannot resolve "+name)
}
