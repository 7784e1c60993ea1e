package api

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func (b *binding) iface(L *lua.LState) *engine.Interface {
	if b.ctx.Iface == nil {
		L.RaiseError("interface.*: no interface selected")
	}
	return b.ctx.Iface
}

func ifaceRef(b *binding, L *lua.LState) entityRef {
	return entityRef{alerts.EntityInterface, strconv.Itoa(b.iface(L).ID())}
}

// withTables runs fn on the selected interface's tables: inline when the
// hook already holds them, otherwise through Interface.Do (which waits for
// that interface's goroutine between batches).
func (b *binding) withTables(L *lua.LState, fn func(t *engine.Tables)) {
	i := b.iface(L)
	if t := b.ctx.Tables; t != nil && t.Interface() == i {
		fn(t)
		return
	}
	i.Do(fn)
}

func init() {
	register("interface", append(entityFuncs("interface", ifaceRef), []luaFn{
		fn("getId", func(b *binding, L *lua.LState) int { b.pushI(L, int64(b.ifid())); return 1 }),
		fn("getName", func(b *binding, L *lua.LState) int { L.Push(lua.LString(b.iface(L).Name())); return 1 }),
		fn("select", ifaceSelect),
		fn("setActiveInterfaceId", func(b *binding, L *lua.LState) int {
			if b.ctx.Engine != nil {
				if i := b.ctx.Engine.Interface(L.CheckInt(1)); i != nil {
					b.selectIface(i)
					L.Push(lua.LString(i.Name()))
					return 1
				}
			}
			L.Push(lua.LNil)
			return 1
		}),
		fn("getIfNames", func(b *binding, L *lua.LState) int {
			t := L.NewTable()
			if b.ctx.Engine != nil {
				for _, i := range b.ctx.Engine.Interfaces() {
					t.RawSetString(strconv.Itoa(i.ID()), lua.LString(i.Name()))
				}
			}
			L.Push(t)
			return 1
		}),
		ifaceBool("isPacketInterface", func(i *engine.Interface) bool { return i.Kind() == "packet" || i.Kind() == "pcap" }),
		ifaceBool("isView", func(*engine.Interface) bool { return false }),
		ifaceBool("isViewed", func(*engine.Interface) bool { return false }),
		ifaceBool("isLoopback", func(*engine.Interface) bool { return false }),
		ifaceBool("isSyslogInterface", func(i *engine.Interface) bool { return i.Kind() == "syslog" }),
		fn("viewedBy", func(b *binding, L *lua.LState) int { b.pushI(L, -1); return 1 }),
		fn("getStats", func(b *binding, L *lua.LState) int { L.Push(b.ifaceStats(L, b.iface(L))); return 1 }),
		fn("getHostsInfo", func(b *binding, L *lua.LState) int { return b.hostsInfo(L, 0) }),
		fn("getLocalHostsInfo", func(b *binding, L *lua.LState) int { return b.hostsInfo(L, 1) }),
		fn("getRemoteHostsInfo", func(b *binding, L *lua.LState) int { return b.hostsInfo(L, 2) }),
		fn("getHostInfo", func(b *binding, L *lua.LState) int {
			ip, vlan := parseHostKey(L.CheckString(1))
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				vlan = uint16(L.CheckInt(2))
			}
			var out lua.LValue = lua.LNil
			if ip.IsValid() && (b.ctx.Visible == nil || b.ctx.Visible(ip)) {
				b.withTables(L, func(t *engine.Tables) {
					if h := t.Host(ip, vlan); h != nil {
						out = b.hostInfo(L, h, true)
					}
				})
			}
			L.Push(out)
			return 1
		}),
		fn("getNetworksStats", func(b *binding, L *lua.LState) int {
			out := L.NewTable()
			b.withTables(L, func(t *engine.Tables) {
				for _, n := range t.Networks() {
					out.RawSetString(n.Prefix.String(), b.networkStats(L, n))
				}
			})
			L.Push(out)
			return 1
		}),
		fn("getNetworkStats", func(b *binding, L *lua.LState) int {
			id := L.CheckInt(1)
			var out lua.LValue = lua.LNil
			b.withTables(L, func(t *engine.Tables) {
				for _, n := range t.Networks() {
					if n.ID == id {
						out = b.networkStats(L, n)
					}
				}
			})
			L.Push(out)
			return 1
		}),
		fn("getnDPIProtoId", func(b *binding, L *lua.LState) int {
			id, ok := ndpi.ID(L.CheckString(1))
			if !ok {
				b.pushI(L, -1)
				return 1
			}
			b.pushI(L, int64(id))
			return 1
		}),
		fn("getnDPIProtoName", func(b *binding, L *lua.LState) int {
			L.Push(lua.LString(ndpi.Name(uint16(L.CheckInt(1)))))
			return 1
		}),
		fn("getnDPICategoryId", func(b *binding, L *lua.LState) int {
			c, ok := ndpi.CategoryID(L.CheckString(1))
			if !ok {
				b.pushI(L, -1)
				return 1
			}
			b.pushI(L, int64(c))
			return 1
		}),
		fn("getnDPICategoryName", func(b *binding, L *lua.LState) int {
			L.Push(categoryNames[uint8(L.CheckInt(1))])
			return 1
		}),
		fn("getEngagedAlerts", func(b *binding, L *lua.LState) int {
			e := entityRef{alerts.EntityType(L.CheckInt(1)), L.CheckString(2)}
			L.Push(b.engagedTable(L, e, -1))
			return 1
		}),
		fn("triggerExternalAlert", func(b *binding, L *lua.LState) int {
			// (entity_id, entity_val, key, gid, sev, type, subtype, json)
			e := entityRef{alerts.EntityType(L.CheckInt(1)), L.CheckString(2)}
			L.Push(b.storeTriggered(L, e, 3))
			return 1
		}),
		fn("releaseExternalAlert", func(b *binding, L *lua.LState) int {
			e := entityRef{alerts.EntityType(L.CheckInt(1)), L.CheckString(2)}
			L.Push(b.releaseTriggered(L, e, 3))
			return 1
		}),
		fn("checkContext", func(b *binding, L *lua.LState) int {
			L.Push(lua.LBool(b.ifid() == L.CheckInt(1)))
			return 1
		}),
		fn("incTotalHostAlerts", func(b *binding, L *lua.LState) int { return 0 }), // counted by the alert store
		fn("incSyslogStats", func(b *binding, L *lua.LState) int {
			for k := 1; k <= 6 && k <= L.GetTop(); k++ {
				b.syslogStats[k-1] += uint64(L.OptInt64(k, 0))
			}
			return 0
		}),
		fn("processFlow", ifaceProcessFlow),
	}...))
}

func ifaceBool(name string, get func(i *engine.Interface) bool) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		L.Push(lua.LBool(get(b.iface(L))))
		return 1
	})
}

// selectIface points the context at i. The hook's Tables stay only when
// they are i's: another interface's tables may be touched only inside its
// own Do, which the interface.* functions then use (withTables).
func (b *binding) selectIface(i *engine.Interface) {
	b.ctx.Iface = i
}

// ifaceSelect is interface.select(ifname_or_id): by id (what
// user_scripts.load passes as tostring(ifid)) or by name. It returns the
// selected name, or nil (and changes nothing) when none matches.
func ifaceSelect(b *binding, L *lua.LState) int {
	arg := L.CheckAny(1).String()
	var found *engine.Interface
	if b.ctx.Engine != nil {
		if id, err := strconv.Atoi(arg); err == nil {
			found = b.ctx.Engine.Interface(id)
		}
		if found == nil {
			for _, i := range b.ctx.Engine.Interfaces() {
				if i.Name() == arg {
					found = i
					break
				}
			}
		}
	} else if i := b.ctx.Iface; i != nil && (arg == strconv.Itoa(i.ID()) || arg == i.Name()) {
		found = i
	}
	if found == nil {
		L.Push(lua.LNil)
		return 1
	}
	b.selectIface(found)
	L.Push(lua.LString(found.Name()))
	return 1
}

// ifaceStats is NetworkInterface::lua for what flowgate counts. It reads
// the interface's published snapshot, so it is safe for any interface.
func (b *binding) ifaceStats(L *lua.LState, i *engine.Interface) *lua.LTable {
	var s engine.InterfaceStats
	if t := b.ctx.Tables; t != nil && t.Interface() == i {
		s = *t.Stats()
	} else {
		s = i.Snapshot()
	}
	t := L.CreateTable(0, 24)
	t.RawSetString("name", lua.LString(i.Name()))
	t.RawSetString("description", lua.LString(i.Name()))
	b.setN(t, "id", float64(i.ID()))
	t.RawSetString("type", lua.LString(i.Kind()))
	b.setN(t, "speed", float64(s.Speed))
	b.setN(t, "mtu", 1500)
	t.RawSetString("isView", lua.LFalse)
	t.RawSetString("isViewed", lua.LFalse)
	t.RawSetString("inline", lua.LFalse)
	t.RawSetString("vlan", lua.LFalse)
	t.RawSetString("has_macs", lua.LFalse)
	t.RawSetString("has_alerts", lua.LBool(b.ctx.Alerts != nil))
	engaged := 0
	if b.ctx.Alerts != nil {
		engaged = len(b.ctx.Alerts.Engaged(i.ID(), alerts.EntityInterface, strconv.Itoa(i.ID())))
	}
	b.setN(t, "num_alerts_engaged", float64(engaged))
	b.setN(t, "num_dropped_alerts", 0)
	b.setN(t, "seen.last", float64(s.Time.Unix()))
	st := L.CreateTable(0, 12)
	b.setN(st, "packets", float64(s.Packets))
	b.setN(st, "bytes", float64(s.Bytes))
	b.setN(st, "flows", float64(s.ActiveFlows))
	b.setN(st, "hosts", float64(s.Hosts))
	b.setN(st, "local_hosts", float64(s.LocalHosts))
	b.setN(st, "drops", float64(s.DroppedFlows))
	b.setN(st, "new_flows", float64(s.TotalFlows))
	b.setN(st, "devices", 0)
	b.setN(st, "current_macs", 0)
	b.setN(st, "throughput_bps", s.ThroughputBps)
	b.setN(st, "throughput_pps", s.ThroughputPps)
	b.setN(st, "num_dropped_flow_scripts_calls", 0)
	b.setN(st, "tcp.retransmissions", float64(s.TCPRetransmissions))
	b.setN(st, "tcp.out_of_order", float64(s.TCPOutOfOrder))
	b.setN(st, "tcp.lost", float64(s.TCPLost))
	t.RawSetString("stats", st)
	// ntopng keeps both: stats since start, and since ntop.resetStats.
	r := i.Shown(s)
	since := L.CreateTable(0, 3)
	b.setN(since, "packets", float64(r.Packets))
	b.setN(since, "bytes", float64(r.Bytes))
	b.setN(since, "drops", float64(r.DroppedFlows))
	t.RawSetString("stats_since_reset", since)
	b.setN(t, "remote_pps", float64(s.RemotePps))
	b.setN(t, "remote_bps", float64(s.RemoteBps))
	ls := L.CreateTable(0, 2)
	b.setN(ls, "bytes.local2remote", float64(s.Local2Remote))
	b.setN(ls, "bytes.remote2local", float64(s.Remote2Local))
	t.RawSetString("localstats", ls)
	t.RawSetString("anomalies", L.NewTable())
	t.RawSetString("ndpi", L.NewTable())
	t.RawSetString("ndpi_categories", L.NewTable())
	sy := L.CreateTable(0, 6)
	for k, name := range []string{"tot_events", "malformed", "unhandled", "alerts", "host_correlations", "flows"} {
		b.setN(sy, name, float64(b.syslogStats[k]))
	}
	t.RawSetString("syslog", sy)
	return t
}

// hostsInfo is interface.getHostsInfo(show_details, sortColumn, maxHits,
// toSkip, a2z, country, os, vlan, asn, network, mac, pool, ipver, ...) and
// its local (which=1) and remote (2) variants: {numHosts, nextSlot,
// hosts={[hostkey]=Host::lua}}. Supported filters: country, vlan, asn,
// network, ipver; the others are accepted and ignored.
func (b *binding) hostsInfo(L *lua.LState, which int) int {
	details := L.OptBool(1, true)
	sortCol := L.OptString(2, "column_ip")
	maxHits := L.OptInt(3, 32768)
	skip := L.OptInt(4, 0)
	a2z := L.OptBool(5, true)
	country := L.OptString(6, "")
	vlan := optIntArg(L, 8)
	asn := optIntArg(L, 9)
	network := optIntArg(L, 10)
	ipver := optIntArg(L, 13)

	type row struct {
		h   *engine.Host
		key string
	}
	var rows []row
	out := L.NewTable()
	hosts := L.NewTable()
	visible := b.ctx.Visible
	b.withTables(L, func(t *engine.Tables) {
		t.Hosts(func(h *engine.Host) bool {
			if visible != nil && !visible(h.IP()) {
				return true
			}
			switch {
			case which == 1 && !h.Local, which == 2 && h.Local,
				vlan >= 0 && int(h.VLAN()) != vlan,
				network >= 0 && h.Network != network,
				ipver == 4 && !h.IP().Is4(), ipver == 6 && !h.IP().Is6():
				return true
			}
			if country != "" || asn >= 0 {
				g := b.deps.GeoIP.Lookup(h.IP())
				if country != "" && !strings.EqualFold(g.Country, country) || asn >= 0 && int(g.ASN) != asn {
					return true
				}
			}
			rows = append(rows, row{h, hostKey(h.IP(), h.VLAN())})
			return true
		})
		less := hostLess(sortCol)
		sort.SliceStable(rows, func(i, j int) bool {
			if a2z {
				return less(rows[i].h, rows[j].h)
			}
			return less(rows[j].h, rows[i].h)
		})
		from := min(max(skip, 0), len(rows))
		to := len(rows)
		if maxHits >= 0 && from+maxHits < to {
			to = from + maxHits
		}
		for _, r := range rows[from:to] {
			hosts.RawSetString(r.key, b.hostInfo(L, r.h, details))
		}
		b.setN(out, "nextSlot", float64(to))
	})
	b.setN(out, "numHosts", float64(len(rows)))
	out.RawSetString("hosts", hosts)
	L.Push(out)
	return 1
}

func optIntArg(L *lua.LState, i int) int {
	if n, ok := L.Get(i).(lua.LNumber); ok {
		return int(n)
	}
	if s, ok := L.Get(i).(lua.LString); ok {
		if n, err := strconv.Atoi(string(s)); err == nil {
			return n
		}
	}
	return -1
}

func hostLess(col string) func(a, b *engine.Host) bool {
	switch col {
	case "column_since", "column_first_seen":
		return func(a, b *engine.Host) bool { return a.FirstSeen < b.FirstSeen }
	case "column_last", "column_last_seen":
		return func(a, b *engine.Host) bool { return a.LastSeen < b.LastSeen }
	case "column_traffic", "column_bytes":
		return func(a, b *engine.Host) bool { return a.Bytes() < b.Bytes() }
	case "column_thpt":
		return func(a, b *engine.Host) bool { return a.ThptBps < b.ThptBps }
	case "column_num_flows":
		return func(a, b *engine.Host) bool { return a.ActiveFlows() < b.ActiveFlows() }
	case "column_vlan":
		return func(a, b *engine.Host) bool { return a.VLAN() < b.VLAN() }
	}
	return func(a, b *engine.Host) bool {
		if c := a.IP().Compare(b.IP()); c != 0 {
			return c < 0
		}
		return a.VLAN() < b.VLAN()
	}
}

// ifaceProcessFlow is interface.processFlow(tbl): in 4.2 it injects a flow
// built by a syslog script (Suricata eve.json and the like) into a parser
// interface. flowgate turns the table into a FlowRecord and enqueues it on
// the selected interface, like any collector: the record is processed by
// the owner goroutine after the hook returns (never re-entering the tables
// the hook may be reading). It returns true when the batch was accepted.
func ifaceProcessFlow(b *binding, L *lua.LState) int {
	tbl := L.CheckTable(1)
	i := b.iface(L)
	batch := i.NewBatch()
	r := batch.AddFlow()
	if err := fillRecord(r, tbl); err != nil {
		i.Recycle(batch)
		L.ArgError(1, err.Error())
	}
	L.Push(lua.LBool(i.Enqueue(batch)))
	return 1
}

type recordErr string

func (e recordErr) Error() string { return string(e) }

// fillRecord maps processFlow's keys (lower-case names and nProbe IE names)
// onto a record; unknown keys go to the record's additional fields. This
// runs once per injected flow (Suricata at 100k events/s): the table is
// walked with Next (its own boxed keys, no allocation per key) and a key is
// lower-cased only when it has upper-case letters and is not an exact match.
func fillRecord(r *engine.FlowRecord, t *lua.LTable) error {
	var err error
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		key, ok := k.(lua.LString)
		if !ok || v == lua.LNil {
			continue
		}
		if setRecordField(r, string(key), v, &err) {
			continue
		}
		if ks := string(key); hasUpper(ks) {
			// Lower-cased on the stack when ASCII (setRecordField keeps no
			// reference); strings.ToLower otherwise, as before.
			var buf [32]byte
			if len(ks) <= len(buf) && lowerASCII(buf[:len(ks)], ks) {
				if setRecordField(r, string(buf[:len(ks)]), v, &err) {
					continue
				}
			} else if setRecordField(r, strings.ToLower(ks), v, &err) {
				continue
			}
		}
		r.Additional = append(r.Additional, engine.Field{Key: string(key), Value: luaString(v)})
	}
	if err != nil {
		return err
	}
	if !r.SrcIP.IsValid() || !r.DstIP.IsValid() {
		return recordErr("src_ip and dst_ip are required")
	}
	if r.SrcIP.Is4() {
		r.IPVersion = 4
	} else {
		r.IPVersion = 6
	}
	return nil
}

// hasUpper: s may change under strings.ToLower (an ASCII capital or any
// non-ASCII byte).
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// lowerASCII writes s lower-cased into b; false when s is not ASCII.
func lowerASCII(b []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return true
}

// luaString is v.String() without fmt for integral numbers.
func luaString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		if f := float64(x); f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return v.String()
}

func recordNum(v lua.LValue) uint64 {
	switch x := v.(type) {
	case lua.LNumber:
		if x < 0 {
			return 0
		}
		return uint64(x)
	case lua.LString:
		n, _ := strconv.ParseUint(strings.TrimSpace(string(x)), 10, 64)
		return n
	}
	return 0
}

// setRecordField sets the record field a (lower-case) processFlow key names
// and reports whether the key is one; a bad address is left in *err (the
// first one).
func setRecordField(r *engine.FlowRecord, key string, v lua.LValue, err *error) bool {
	str := luaString
	num := recordNum
	addr := func(v lua.LValue) netip.Addr {
		a, e := netip.ParseAddr(str(v))
		if e != nil && *err == nil {
			*err = recordErr("bad address " + strconv.Quote(str(v)))
		}
		return a
	}
	switch key {
	case "src_ip", "ipv4_src_addr", "ipv6_src_addr":
		r.SrcIP = addr(v)
	case "dst_ip", "ipv4_dst_addr", "ipv6_dst_addr":
		r.DstIP = addr(v)
	case "src_port", "l4_src_port":
		r.SrcPort = uint16(num(v))
	case "dst_port", "l4_dst_port":
		r.DstPort = uint16(num(v))
	case "vlan_id", "src_vlan":
		r.VLAN = uint16(num(v))
	case "l4_proto", "protocol":
		r.Proto = l4Number(v)
	case "in_bytes":
		r.InBytes = num(v)
	case "out_bytes":
		r.OutBytes = num(v)
	case "in_pkts":
		r.InPkts = num(v)
	case "out_pkts":
		r.OutPkts = num(v)
	case "first_switched":
		r.FirstSwitched = uint32(num(v))
	case "last_switched":
		r.LastSwitched = uint32(num(v))
	case "first_switched_iso8601":
		r.FirstSwitched = isoEpoch(str(v))
	case "last_switched_iso8601":
		r.LastSwitched = isoEpoch(str(v))
	case "l7_proto":
		r.L7App, r.L7Set = uint16(num(v)), true
	case "dns_query":
		r.DNSQuery = str(v)
	case "dns_query_type":
		r.DNSQueryType = uint16(num(v))
	case "http_url":
		r.HTTPURL = str(v)
	case "http_site":
		r.HTTPSite = str(v)
	case "http_method":
		r.HTTPMethod = str(v)
	case "http_ret_code":
		r.HTTPRetCode = uint16(num(v))
	case "tls_server_name":
		r.TLSServerName = str(v)
	case "ja3c_hash":
		r.JA3C = str(v)
	case "ja3s_hash":
		r.JA3S = str(v)
	default:
		return false
	}
	return true
}

// l4Number accepts a protocol number or name ("TCP", "udp", "ICMP").
func l4Number(v lua.LValue) uint8 {
	if n, ok := v.(lua.LNumber); ok {
		return uint8(n)
	}
	s := strings.ToUpper(v.String())
	switch s { // the usual names first, without the scan below
	case "TCP":
		return 6
	case "UDP":
		return 17
	case "ICMP":
		return 1
	}
	if n, err := strconv.Atoi(s); err == nil {
		return uint8(n)
	}
	for p := 0; p < 256; p++ {
		if engine.L4Name(uint8(p)) == s {
			return uint8(p)
		}
	}
	if s == "IPV6-ICMP" || s == "ICMPV6" {
		return 58
	}
	return 0
}

// isoEpoch parses Suricata-style ISO 8601 times ("2020-11-02T10:00:00.123456+0100").
// The usual shape (date, time, up to 9 fraction digits, then Z, ±hh:mm,
// ±hhmm or nothing for UTC) is read directly; anything else goes through
// time.Parse with the layouts accepted before.
func isoEpoch(s string) uint32 {
	if e, ok := isoEpochFast(s); ok {
		return e
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return uint32(t.Unix())
		}
	}
	return 0
}

func isoEpochFast(s string) (uint32, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	digits := func(p, n int) (int, bool) {
		v := 0
		for i := p; i < p+n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := digits(0, 4)
	mo, ok2 := digits(5, 2)
	d, ok3 := digits(8, 2)
	h, ok4 := digits(11, 2)
	mi, ok5 := digits(14, 2)
	sec, ok6 := digits(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	dim := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo]
	if mo == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		dim = 29
	}
	if d > dim {
		return 0, false
	}
	p := 19
	if p < len(s) && s[p] == '.' {
		q := p + 1
		for q < len(s) && s[q] >= '0' && s[q] <= '9' {
			q++
		}
		if q == p+1 || q-p-1 > 9 {
			return 0, false
		}
		p = q
	}
	off := 0
	switch rest := s[p:]; {
	case rest == "" || rest == "Z":
	case len(rest) == 5 || len(rest) == 6 && rest[3] == ':':
		if rest[0] != '+' && rest[0] != '-' {
			return 0, false
		}
		oh, ok1 := digits(p+1, 2)
		om, ok2 := digits(p+len(rest)-2, 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix() - int64(off)
	return uint32(t), true
}
