package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// params reads REST parameters from the query string or, as ntopng allows,
// from a JSON body.
type params map[string]string

func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p[k] = v[0]
		}
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// Put the body back: a handler may read its parameters twice
		// (host endpoints read the interface, then the host).
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("cannot read the body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil && len(bytes.TrimSpace(raw)) > 0 {
			return nil, fmt.Errorf("bad JSON body: %w", err)
		}
		for k, v := range body {
			switch x := v.(type) {
			case string:
				p[k] = x
			case float64:
				p[k] = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				p[k] = strconv.FormatBool(x)
			}
		}
	} else if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			for k, v := range r.PostForm {
				if len(v) > 0 {
					p[k] = v[0]
				}
			}
		}
	}
	return p, nil
}

// ifaceRequest reads the parameters and the interface every per-interface
// endpoint needs, answering the error itself when they are wrong.
func (s *Server) ifaceRequest(w http.ResponseWriter, r *http.Request) (params, *engine.Interface, bool) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return nil, nil, false
	}
	i, ok := s.iface(w, p)
	if ok && !requester(r).AllowsIfname(i.Name()) {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "interface not allowed to this user")
		return nil, nil, false
	}
	return p, i, ok
}

// addrFilter is the requester's allowed networks as a filter on host and
// flow lists; nil when the requester sees every address.
func addrFilter(r *http.Request) func(netip.Addr) bool {
	u := requester(r)
	if u.IsAdmin() || len(u.AllowedNets) == 0 {
		return nil
	}
	return u.AllowsAddr
}

// readListOrder reads the paging of a list sorted by bytes by default and
// the ordering function of its sortColumn.
func readListOrder[T any](w http.ResponseWriter, p params, orders map[string]func(a, b *T) bool) (paging, func(a, b *T) bool, bool) {
	pg, err := readPaging(p, "bytes")
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return pg, nil, false
	}
	less, ok := orders[pg.column]
	if !ok {
		writeError(w, 0, errInvalidArgs, "unknown sortColumn "+strconv.Quote(pg.column))
		return pg, nil, false
	}
	return pg, less, true
}

// iface resolves the ifid parameter, answering ntopng's error when it is
// missing or unknown.
func (s *Server) iface(w http.ResponseWriter, p params) (*engine.Interface, bool) {
	v, ok := p["ifid"]
	if !ok || v == "" {
		writeError(w, 0, errInvalidInterface, "missing ifid")
		return nil, false
	}
	id, err := strconv.Atoi(v)
	if err != nil {
		writeError(w, 0, errInvalidInterface, "bad ifid "+strconv.Quote(v))
		return nil, false
	}
	i := s.deps.Engine.Interface(id)
	if i == nil {
		writeError(w, 0, errInvalidInterface, "unknown ifid "+v)
		return nil, false
	}
	return i, true
}

func (s *Server) getInterfaces(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		IfID   int    `json:"ifid"`
		IfName string `json:"ifname"`
	}
	out := []entry{}
	me := requester(r)
	for _, i := range s.deps.Engine.Interfaces() {
		if me.AllowsIfname(i.Name()) {
			out = append(out, entry{i.ID(), i.Name()})
		}
	}
	writeOK(w, out)
}

// paging is ntopng's currentPage/perPage/sortColumn/sortOrder.
type paging struct {
	page, perPage int
	column        string
	desc          bool
}

func readPaging(p params, defColumn string) (paging, error) {
	pg := paging{page: 1, perPage: 10, column: defColumn, desc: true}
	if v := p["currentPage"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return pg, fmt.Errorf("bad currentPage %q", v)
		}
		pg.page = n
	}
	if v := p["perPage"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return pg, fmt.Errorf("bad perPage %q", v)
		}
		pg.perPage = n
	}
	if v := p["sortColumn"]; v != "" {
		pg.column = strings.TrimPrefix(v, "column_")
	}
	switch strings.ToLower(p["sortOrder"]) {
	case "", "desc":
	case "asc":
		pg.desc = false
	default:
		return pg, fmt.Errorf("bad sortOrder %q, want asc or desc", p["sortOrder"])
	}
	return pg, nil
}

// window returns the [from, to) slice bounds of the page over n rows.
func (pg paging) window(n int) (int, int) {
	from := (pg.page - 1) * pg.perPage
	if from > n {
		from = n
	}
	to := from + pg.perPage
	if to > n {
		to = n
	}
	return from, to
}

// sortPage sorts rows by less in the requested order and returns the page.
func sortPage[T any](rows []T, pg paging, less func(a, b *T) bool) []T {
	pr := newPager(pg, less, len(rows))
	for k := range rows {
		pr.add(&rows[k])
	}
	return pr.page()
}

// pager collects a list's rows one by one and returns the requested page,
// the same as a stable sort of all of them. When the page is early in a
// long list (the usual perPage=10 of 100,000 hosts) it keeps only the rows
// that can still be on it, in a bounded heap: O(n log k) time and k rows
// of memory, so a list handler copies no more than that inside
// Interface.Do; otherwise it keeps every row and sorts them.
type pager[T any] struct {
	pg     paging
	before func(a, b *T) bool
	from   int
	k      int // rows kept by the heap; 0: keep all
	rows   []T
	seq    []int // arrival order of rows[i] (heap mode): ties keep it
	n      int   // rows added
}

// newPager is a pager for about n rows.
func newPager[T any](pg paging, less func(a, b *T) bool, n int) *pager[T] {
	p := &pager[T]{pg: pg, before: func(a, b *T) bool {
		if pg.desc {
			return less(b, a)
		}
		return less(a, b)
	}}
	if _, to := pg.window(n); to < n/8 {
		// The page may move with rows added beyond n; keep at least its end.
		p.from, p.k = (pg.page-1)*pg.perPage, pg.page*pg.perPage
		p.rows, p.seq = make([]T, 0, p.k), make([]int, 0, p.k)
	} else {
		p.rows = make([]T, 0, n)
	}
	return p
}

// after: the kept row i comes after the kept row j in the stable order.
func (p *pager[T]) after(i, j int) bool {
	a, b := &p.rows[i], &p.rows[j]
	return p.before(b, a) || !p.before(a, b) && p.seq[i] > p.seq[j]
}

func (p *pager[T]) add(r *T) {
	n := p.n
	p.n++
	if p.k == 0 {
		p.rows = append(p.rows, *r)
		return
	}
	if len(p.rows) < p.k {
		p.rows, p.seq = append(p.rows, *r), append(p.seq, n)
		for c := len(p.rows) - 1; c > 0; {
			up := (c - 1) / 2
			if !p.after(c, up) {
				break
			}
			p.swap(c, up)
			c = up
		}
		return
	}
	// r arrived last: it displaces the last kept row only if strictly before it.
	if !p.before(r, &p.rows[0]) {
		return
	}
	p.rows[0], p.seq[0] = *r, n
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(p.rows) && p.after(l, m) {
			m = l
		}
		if rr := l + 1; rr < len(p.rows) && p.after(rr, m) {
			m = rr
		}
		if m == i {
			return
		}
		p.swap(i, m)
		i = m
	}
}

func (p *pager[T]) swap(i, j int) {
	p.rows[i], p.rows[j] = p.rows[j], p.rows[i]
	p.seq[i], p.seq[j] = p.seq[j], p.seq[i]
}

// total is the number of rows added.
func (p *pager[T]) total() int { return p.n }

// page returns the requested page.
func (p *pager[T]) page() []T {
	if p.k == 0 {
		sort.SliceStable(p.rows, func(a, b int) bool { return p.before(&p.rows[a], &p.rows[b]) })
		from, to := p.pg.window(len(p.rows))
		return p.rows[from:to]
	}
	sort.Sort(byAfter[T]{p})
	from, to := min(p.from, len(p.rows)), len(p.rows)
	return p.rows[from:to]
}

// byAfter sorts the kept rows first to last.
type byAfter[T any] struct{ p *pager[T] }

func (b byAfter[T]) Len() int           { return len(b.p.rows) }
func (b byAfter[T]) Less(i, j int) bool { return b.p.after(j, i) }
func (b byAfter[T]) Swap(i, j int)      { b.p.swap(i, j) }

// answer is ntopng's paged list: data, currentPage, perPage, totalRows, sort.
func (pg paging) answer(data any, total int) map[string]any {
	return map[string]any{
		"data":        data,
		"currentPage": pg.page,
		"perPage":     pg.perPage,
		"totalRows":   total,
		"sort":        [][]string{{"column_" + pg.column, pg.sortOrder()}},
	}
}

func (pg paging) sortOrder() string {
	if pg.desc {
		return "desc"
	}
	return "asc"
}

// hostRow is a copy of what host lists show, taken inside Do so that
// sorting happens outside the interface goroutine.
type hostRow struct {
	ip                  netip.Addr
	vlan                uint16
	sent, rcvd          uint64
	asClient, asServer  uint32
	first, last         uint32
	local, bcast, mcast bool
	bps, pps            float64
	alerts              uint32
}

func hostKey(ip netip.Addr) string {
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "__")
	}
	return strings.ReplaceAll(ip.String(), ":", "_")
}

func (s *Server) getActiveHosts(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	pg, less, ok := readListOrder(w, p, hostOrder)
	if !ok {
		return
	}
	hf, err := readHostFilter(p)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	var pr *pager[hostRow]
	visible := addrFilter(r)
	// Read: a page of hosts need not wait for the batches still queued.
	timedTables(w, i.Read, func(t *engine.Tables) {
		pr = newPager(pg, less, t.NumHosts())
		var row hostRow // one copy reused: add copies what it keeps
		t.Hosts(func(h *engine.Host) bool {
			if visible != nil && !visible(h.IP()) || !hf.match(h) {
				return true
			}
			row = hostRow{
				ip: h.IP(), vlan: h.VLAN(), sent: h.BytesSent, rcvd: h.BytesRcvd,
				asClient: h.ActiveAsClient, asServer: h.ActiveAsServer,
				first: h.FirstSeen, last: h.LastSeen, local: h.Local,
				bcast: h.IsBroadcast, mcast: h.IsMulticast, bps: h.ThptBps, pps: h.ThptPps,
				alerts: h.NumAlerts,
			}
			pr.add(&row)
			return true
		})
	})
	page := pr.page()
	data := make([]map[string]any, 0, len(page))
	for _, h := range page {
		ip := h.ip.String()
		data = append(data, map[string]any{
			"ip": ip, "name": ip, "key": hostKey(h.ip), "vlan": h.vlan,
			"bytes":      map[string]uint64{"sent": h.sent, "recvd": h.rcvd, "total": h.sent + h.rcvd},
			"num_flows":  map[string]uint32{"as_client": h.asClient, "as_server": h.asServer, "total": h.asClient + h.asServer},
			"thpt":       map[string]float64{"bps": h.bps, "pps": h.pps},
			"first_seen": h.first, "last_seen": h.last,
			"is_localhost": h.local, "is_broadcast": h.bcast, "is_multicast": h.mcast,
			"is_broadcast_domain": false, "is_blacklisted": false,
			"num_alerts": h.alerts, "country": "", "os": 0,
			"host_pool_id": s.hostPoolID(h.ip, h.vlan),
		})
	}
	writeOK(w, pg.answer(data, pr.total()))
}

var hostOrder = map[string]func(a, b *hostRow) bool{
	"bytes":      func(a, b *hostRow) bool { return a.sent+a.rcvd < b.sent+b.rcvd },
	"traffic":    func(a, b *hostRow) bool { return a.sent+a.rcvd < b.sent+b.rcvd },
	"thpt":       func(a, b *hostRow) bool { return a.bps < b.bps },
	"ip":         func(a, b *hostRow) bool { return a.ip.Less(b.ip) },
	"name":       func(a, b *hostRow) bool { return a.ip.Less(b.ip) },
	"since":      func(a, b *hostRow) bool { return a.first < b.first },
	"first_seen": func(a, b *hostRow) bool { return a.first < b.first },
	"last":       func(a, b *hostRow) bool { return a.last < b.last },
	"last_seen":  func(a, b *hostRow) bool { return a.last < b.last },
	"num_flows":  func(a, b *hostRow) bool { return a.asClient+a.asServer < b.asClient+b.asServer },
	"flows":      func(a, b *hostRow) bool { return a.asClient+a.asServer < b.asClient+b.asServer },
	"alerts":     func(a, b *hostRow) bool { return a.alerts < b.alerts },
	"vlan":       func(a, b *hostRow) bool { return a.vlan < b.vlan },
	"":           func(a, b *hostRow) bool { return a.sent+a.rcvd < b.sent+b.rcvd },
}

// parseHost reads ntopng's host parameter: "ip", "ip@vlan", with an
// optional separate vlan parameter.
func parseHost(p params) (netip.Addr, uint16, error) {
	v := p["host"]
	if v == "" {
		return netip.Addr{}, 0, fmt.Errorf("missing host")
	}
	ipStr, vlanStr, _ := strings.Cut(v, "@")
	if vlanStr == "" {
		vlanStr = p["vlan"]
	}
	ip, err := netip.ParseAddr(ipStr)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad host %q", v)
	}
	var vlan uint64
	if vlanStr != "" {
		vlan, err = strconv.ParseUint(vlanStr, 10, 12)
		if err != nil {
			return netip.Addr{}, 0, fmt.Errorf("bad vlan %q", vlanStr)
		}
	}
	return ip.Unmap(), uint16(vlan), nil
}

func (s *Server) getHostData(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	ip, vlan, err := parseHost(p)
	if err != nil {
		writeError(w, 0, errInvalidHost, err.Error())
		return
	}
	if visible := addrFilter(r); visible != nil && !visible(ip) {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "host not in the networks allowed to this user")
		return
	}
	var rsp map[string]any
	i.Do(func(t *engine.Tables) {
		h := t.Host(ip, vlan)
		if h == nil {
			return
		}
		rsp = hostData(t, h, i.ID())
	})
	if rsp != nil {
		rsp["host_pool_id"] = s.hostPoolID(ip, vlan)
	}
	if rsp == nil {
		writeError(w, http.StatusNotFound, errInvalidHost, "host "+p["host"]+" not found")
		return
	}
	writeOK(w, rsp)
}

func hostData(t *engine.Tables, h *engine.Host, ifid int) map[string]any {
	ip := h.IP()
	ndpiStats := map[string]any{}
	cats := map[string]map[string]any{}
	for _, l := range h.L7 {
		name := ndpi.Name(l.Proto)
		ndpiStats[name] = map[string]any{
			"bytes.sent": l.BytesSent, "bytes.rcvd": l.BytesRcvd,
			"packets.sent": l.PktsSent, "packets.rcvd": l.PktsRcvd,
		}
		cat := ndpi.CategoryOf(l.Proto)
		c, ok := cats[cat.String()]
		if !ok {
			c = map[string]any{"category": int(cat), "bytes": uint64(0), "bytes.sent": uint64(0), "bytes.rcvd": uint64(0)}
			cats[cat.String()] = c
		}
		c["bytes"] = c["bytes"].(uint64) + l.BytesSent + l.BytesRcvd
		c["bytes.sent"] = c["bytes.sent"].(uint64) + l.BytesSent
		c["bytes.rcvd"] = c["bytes.rcvd"].(uint64) + l.BytesRcvd
	}
	var ipkey uint64
	if ip.Is4() {
		b := ip.As4()
		ipkey = uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	tskey := ip.String()
	if h.VLAN() != 0 {
		tskey += "@" + strconv.Itoa(int(h.VLAN()))
	}
	networkName := ""
	if h.Local && h.Network >= 0 {
		if nets := t.Networks(); h.Network < len(nets) {
			networkName = nets[h.Network].Prefix.String()
		}
	}
	rsp := map[string]any{
		"ip": ip.String(), "name": ip.String(), "vlan": h.VLAN(), "ifid": ifid,
		"tskey": tskey, "ipkey": ipkey,
		"bytes.sent": h.BytesSent, "bytes.rcvd": h.BytesRcvd,
		"packets.sent": h.PktsSent, "packets.rcvd": h.PktsRcvd,
		"seen.first": h.FirstSeen, "seen.last": h.LastSeen,
		"duration":               h.LastSeen - h.FirstSeen,
		"total_activity_time":    h.LastSeen - h.FirstSeen,
		"active_flows.as_client": h.ActiveAsClient, "active_flows.as_server": h.ActiveAsServer,
		"flows.as_client": h.TotalAsClient, "flows.as_server": h.TotalAsServer,
		"total_flows.as_client": h.TotalAsClient, "total_flows.as_server": h.TotalAsServer,
		"contacts.as_client": h.NumPeers(), "contacts.as_server": 0,
		"num_peers": h.NumPeers(),
		"localhost": h.Local, "is_localhost": h.Local, "privatehost": ip.IsPrivate(),
		"local_network_name": networkName,
		"is_broadcast":       h.IsBroadcast, "is_multicast": h.IsMulticast,
		"is_blacklisted": false, "systemhost": false,
		"throughput_bps": h.ThptBps, "throughput_pps": h.ThptPps,
		"num_alerts": h.NumAlerts, "total_alerts": h.NumAlerts,
		"ndpi": ndpiStats, "ndpi_categories": cats,
		"country": "", "city": "", "asn": 0, "asname": "", "os": 0, "mac": "00:00:00:00:00:00",
	}
	for i, name := range engine.L4ClassNames {
		l4 := &h.L4[i]
		rsp[name+".bytes.sent"], rsp[name+".bytes.rcvd"] = l4.BytesSent, l4.BytesRcvd
		rsp[name+".packets.sent"], rsp[name+".packets.rcvd"] = l4.PktsSent, l4.PktsRcvd
	}
	return rsp
}

// flowRow is the copy of a flow the flow list shows, taken for every
// matching flow inside Interface.Read: protocol ids, not names (named only
// for the page's rows, outside).
type flowRow struct {
	id                 uint64
	key                uint32
	cli, srv           netip.Addr
	cport, sport       uint16
	vlan               uint16
	proto              uint8
	l7master, l7app    uint16
	first, last        uint32
	cliBytes, srvBytes uint64
	bps, pps           float32
	blacklist          uint8 // engine.Flow.Blacklist
}

func (s *Server) getActiveFlows(w http.ResponseWriter, r *http.Request) {
	// The filters of ntopng's flows page (rest_flows.go): host,
	// talking_with, application, l4proto, vlan, flowhosts_type; a flow
	// shows when either peer is visible to the requester, as in ntopng.
	p, i, ff, ok := s.flowsRequest(w, r)
	if !ok {
		return
	}
	pg, less, ok := readListOrder(w, p, flowOrder)
	if !ok {
		return
	}
	var pr *pager[flowRow]
	// The walk copies what the sort needs (the addresses only for a sort
	// by client or server: half its cost with the key); the rows kept
	// for the page get the rest after it.
	byAddr := pg.column == "client" || pg.column == "server"
	// Read: a page of flows need not wait for the batches still queued.
	timedTables(w, i.Read, func(t *engine.Tables) {
		pr = newPager(pg, less, t.NumFlows())
		var row flowRow
		t.Flows(func(f *engine.Flow) bool {
			if !ff.match(t, f) {
				return true
			}
			row = flowRow{
				id: f.ID(), cport: f.ClientPort(), sport: f.ServerPort(), vlan: f.VLAN(),
				proto: f.Proto(), l7master: f.L7Master, l7app: f.L7App, first: f.FirstSeen, last: f.LastSeen,
				cliBytes: f.CliBytes, srvBytes: f.SrvBytes, bps: f.ThptBps, pps: f.ThptPps, blacklist: f.Blacklist,
			}
			if byAddr {
				row.cli, row.srv = f.Client(), f.Server()
			}
			pr.add(&row)
			return true
		})
		for k := range pr.rows {
			r := &pr.rows[k]
			if f := t.Flow(r.id); f != nil { // live: the same Read
				r.key, r.cli, r.srv = f.Key(), f.Client(), f.Server()
			}
		}
	})
	page := pr.page()
	data := make([]map[string]any, 0, len(page))
	for _, f := range page {
		total := f.cliBytes + f.srvBytes
		c2s, s2c := 0, 0
		if total > 0 {
			c2s = int(f.cliBytes * 100 / total)
			s2c = 100 - c2s
		}
		data = append(data, map[string]any{
			"hash_id": strconv.FormatUint(f.id, 10),
			"key":     strconv.FormatUint(uint64(f.key), 10),
			"client": map[string]any{"ip": f.cli.String(), "name": f.cli.String(), "port": f.cport,
				"is_blacklisted": f.blacklist&1 != 0, "is_broadcast_domain": false, "is_dhcp": false},
			"server": map[string]any{"ip": f.srv.String(), "name": f.srv.String(), "port": f.sport,
				"is_blacklisted": f.blacklist&2 != 0, "is_broadcast": false, "is_dhcp": false},
			"vlan":       f.vlan,
			"protocol":   map[string]string{"l4": engine.L4Name(f.proto), "l7": f.l7Name()},
			"first_seen": f.first, "last_seen": f.last, "duration": f.last - f.first,
			"bytes":     total,
			"breakdown": map[string]int{"cli2srv": c2s, "srv2cli": s2c},
			"thpt":      map[string]float32{"bps": f.bps, "pps": f.pps},
		})
	}
	writeOK(w, pg.answer(data, pr.total()))
}

// l7Name is the flow's application as the list shows it (Flow.L7Name).
func (f *flowRow) l7Name() string { return ndpi.FullName(f.l7master, f.l7app) }

var flowOrder = map[string]func(a, b *flowRow) bool{
	"bytes":      func(a, b *flowRow) bool { return a.cliBytes+a.srvBytes < b.cliBytes+b.srvBytes },
	"thpt":       func(a, b *flowRow) bool { return a.bps < b.bps },
	"duration":   func(a, b *flowRow) bool { return a.last-a.first < b.last-b.first },
	"first_seen": func(a, b *flowRow) bool { return a.first < b.first },
	"last_seen":  func(a, b *flowRow) bool { return a.last < b.last },
	"client":     func(a, b *flowRow) bool { return a.cli.Less(b.cli) },
	"server":     func(a, b *flowRow) bool { return a.srv.Less(b.srv) },
	"protocol":   func(a, b *flowRow) bool { return a.l7Name() < b.l7Name() },
	"":           func(a, b *flowRow) bool { return a.cliBytes+a.srvBytes < b.cliBytes+b.srvBytes },
}

func (s *Server) getInterfaceData(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	// By default Do: the totals include every record handed over before
	// the call (what tests and bench/ui.sh compare with what was sent),
	// which under saturating ingest means waiting for a whole queue of
	// batches. live=1 (flowgate's, for the UI's live numbers) answers at
	// the engine's next pause instead (Read), without those last records.
	live, err := boolParam(p, "live", false)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	run := i.Do
	if live {
		run = i.Read
	}
	var st engine.InterfaceStats
	timedTables(w, run, func(t *engine.Tables) { st = *t.Stats() })
	rsp := interfaceData(i, &st)
	if s.deps.Alerts != nil {
		// ntopng's engaged alert counts, in its three severity groups.
		var notice, warning, errs int
		for _, a := range s.deps.Alerts.EngagedAll() {
			if a.IfID != i.ID() {
				continue
			}
			switch {
			case a.Severity <= alerts.SeverityNotice:
				notice++
			case a.Severity == alerts.SeverityWarning:
				warning++
			default:
				errs++
			}
		}
		rsp["engaged_alerts"] = notice + warning + errs
		rsp["engaged_alerts_notice"], rsp["engaged_alerts_warning"], rsp["engaged_alerts_error"] = notice, warning, errs
	}
	writeOK(w, rsp)
}

func interfaceData(i *engine.Interface, st *engine.InterfaceStats) map[string]any {
	c := i.Collector()
	now := st.Time
	if now.IsZero() {
		now = time.Now()
	}
	avg := uint64(0)
	if n := c.Flows.Load(); n > 0 {
		avg = c.FlowRecords.Load() / n
	}
	rsp := map[string]any{
		"ifid":   strconv.Itoa(i.ID()),
		"ifname": i.Name(),
		"epoch":  now.Unix(), "localtime": now.Format("15:04:05 -0700"),
		"uptime": formatUptime(st.Uptime()),
		"bytes":  st.Bytes, "packets": st.Packets,
		"bytes_upload": st.BytesUpload, "bytes_download": st.BytesDownload,
		"packets_upload": st.PacketsUpload, "packets_download": st.PacketsDownload,
		"local2remote": st.Local2Remote, "remote2local": st.Remote2Local,
		"throughput_bps": st.ThroughputBps, "throughput_pps": st.ThroughputPps,
		"throughput": map[string]any{
			"upload":   map[string]float64{"bps": st.UploadBps, "pps": st.UploadPps},
			"download": map[string]float64{"bps": st.DownloadBps, "pps": st.DownloadPps},
		},
		"num_flows": st.ActiveFlows, "num_hosts": st.Hosts, "num_local_hosts": st.LocalHosts,
		"num_devices": 0, "drops": st.DroppedFlows,
		"speed": st.Speed, "remote_bps": st.RemoteBps, "remote_pps": st.RemotePps,
		"tcpPacketStats": map[string]uint64{
			"retransmissions": st.TCPRetransmissions, "out_of_order": st.TCPOutOfOrder, "lost": st.TCPLost,
		},
		"zmqRecvStats": map[string]uint64{
			"flows":             st.FlowRecords,
			"dropped_flows":     st.DroppedFlows,
			"events":            c.Events.Load(),
			"counters":          c.Counters.Load(),
			"zmq_msg_rcvd":      c.MsgsRcvd.Load(),
			"zmq_msg_drops":     c.MsgDrops.Load(),
			"zmq_avg_msg_flows": max(avg, 1),
			"templates":         c.Templates.Load(),
			"options":           c.Options.Load(),
			"hello":             c.Hello.Load(),
			"listening_ports":   c.ListeningPorts.Load(),
			"snmp_interfaces":   c.SNMPIfaces.Load(),
		},
		"zmq.num_flow_exports":                       st.NumFlowExports,
		"zmq.num_exporters":                          st.NumExporters,
		"zmq.drops.export_queue_full":                st.DropsExportQueueFull,
		"zmq.drops.flow_collection_drops":            st.DropsFlowCollection,
		"zmq.drops.flow_collection_udp_socket_drops": st.DropsUDPSocket,
		"decode_errors":                              c.DecodeErrors(),
		"queue_drops":                                map[string]uint64{"batches": st.QueueFullBatches, "flows": st.DropsQueueFull},
		"dropped_flows_reasons":                      map[string]uint64{"max_flows": st.DropsMaxFlows, "max_hosts": st.DropsMaxHosts, "ip_mismatch": st.DropsIPMismatch, "queue_full": st.DropsQueueFull},
		"periodic_stats_update_frequency_secs":       st.PeriodicStatsUpdateFreqSecs,
		"flow_max_idle_secs":                         int(st.FlowMaxIdle / time.Second),
		"num_probes":                                 st.NumProbes,
		"is_view":                                    false,
		"engaged_alerts":                             0, "alerted_flows": 0, "dropped_alerts": 0,
		"hosts_pctg": 1, "flows_pctg": 1, "macs_pctg": 1,
		"num_live_captures": 0,
	}
	if k := i.PublicKeyHex(); k != "" {
		rsp["encryption"] = map[string]string{"public_key": k}
	}
	return rsp
}

// formatUptime writes durations like ntopng's secondsToTime ("00:17 sec",
// "01:02:03", "2 days, 01:02:03").
func formatUptime(d time.Duration) string {
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	h, s := s/3600, s%3600
	m, s := s/60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d days, %02d:%02d:%02d", days, h, m, s)
	case h > 0:
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	default:
		return fmt.Sprintf("%02d:%02d sec", m, s)
	}
}
